"""Ensembles: each account run over many seeds, and what the runs agree and disagree on.

One run of a crush says little: who is pressed hardest depends on where each body happened to
stand, so the number of dead swings between seeds (docs/physics.md, "Harm"). An ensemble runs
every account with the same seeds and reports each outcome as a distribution (median, range,
5–95 %), so accounts are compared by what they make likely, not by one draw.

Layout on disk (every run a normal run directory, readable by ``aforo report``):

    OUT/<account>/seed-<N>/...      one run per account and seed
    OUT/ensemble.json               every run's outcomes and each account's distributions

Runs already finished (with their summary.json) are kept, so an interrupted ensemble resumes
where it stopped and nothing computed is lost.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

import numpy as np

from aforo.errors import AforoError, RunDirectoryError

# The outcomes compared across runs: name → how to read it from a summary.json.
OUTCOMES: dict[str, Callable[[dict], float | None]] = {
    "dead": lambda s: s["harm"]["counts"]["dead"],
    "unconscious": lambda s: s["harm"]["counts"]["unconscious"],
    "injured": lambda s: s["harm"]["counts"]["injured"],
    "incapacitated by gas": lambda s: sum(n for k, n in s["harm"]["counts"].items() if k.startswith("incapacitated (")),
    "falls": lambda s: s["harm"]["falls"],
    "first death (s)": lambda s: s["harm"]["first_death_s"],
    "evacuated": lambda s: s["evacuated"],
    "evacuation time (s)": lambda s: s["evacuation_time_s"],
    "peak compression (N/m)": lambda s: s["peak_compression"]["value_n_per_m"],
}


class EnsembleError(AforoError, ValueError):
    """An ensemble cannot be set up as asked."""


@dataclass(frozen=True)
class Job:
    account: str
    scenario_path: Path
    seed: int
    out_dir: Path


def parse_seeds(text: str) -> list[int]:
    """ "0-9", "1,4,7" or "0-4,10": each seed once, in order."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part[1:]:
                low, high = (int(x) for x in part.split("-", 1))
                if high < low:
                    raise ValueError
                seeds += range(low, high + 1)
            else:
                seeds.append(int(part))
        except ValueError:
            raise EnsembleError(f"cannot read seeds {text!r} at {part!r}: write a range such as 0-9, a list such "
                                "as 1,4,7, or both (0-4,10); each seed is an integer ≥ 0") from None
    if any(s < 0 for s in seeds):
        raise EnsembleError(f"seeds must be ≥ 0, got {text!r}")
    return list(dict.fromkeys(seeds))


def plan(scenarios: list[Path], seeds: list[int], out_dir: Path) -> list[Job]:
    """One job per account and seed; accounts are named after their files, which must differ."""
    names = [Path(p).stem for p in scenarios]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise EnsembleError(f"two scenario files share the name {twice[0]!r}; an account is named after its file, "
                            "so rename one of them")
    if not seeds:
        raise EnsembleError("no seeds given")
    return [Job(name, Path(path), seed, Path(out_dir) / name / f"seed-{seed}")
            for name, path in zip(names, scenarios) for seed in seeds]


def run_job(job: Job) -> dict:
    """Run one account with one seed (in a worker process); return its summary."""
    from aforo.engine.rundir import run_scenario
    from aforo.scenario import load

    scenario = load(job.scenario_path)
    scenario = replace(scenario, run=replace(scenario.run, seed=job.seed))
    text = job.scenario_path.read_text(encoding="utf-8")
    return run_scenario(scenario, job.out_dir, scenario_text=text, overwrite=True).summary


def _worker_init() -> None:
    # Each worker runs one small crowd at a time: one thread each, the processes share the cores.
    import numba

    numba.set_num_threads(1)


def run_ensemble(jobs: list[Job], *, workers: int = 1, on_done: Callable[[Job, dict], None] | None = None) -> dict:
    """Run every job not finished yet; return {out_dir: summary} for all of them."""
    summaries: dict[Path, dict] = {}
    todo = []
    for job in jobs:
        finished = job.out_dir / "summary.json"
        if finished.is_file():
            summaries[job.out_dir] = json.loads(finished.read_text(encoding="utf-8"))
            if on_done:
                on_done(job, summaries[job.out_dir])
        else:
            todo.append(job)
    if workers <= 1:
        for job in todo:
            summaries[job.out_dir] = run_job(job)
            if on_done:
                on_done(job, summaries[job.out_dir])
        return summaries
    # spawn, not fork: forking a process that has started numba's thread pool can deadlock
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_worker_init) as pool:
        futures = {pool.submit(run_job, job): job for job in todo}
        for future in as_completed(futures):
            job = futures[future]
            summaries[job.out_dir] = future.result()
            if on_done:
                on_done(job, summaries[job.out_dir])
    return summaries


def summarize(jobs: list[Job], summaries: dict) -> dict:
    """Each run's outcomes, and per account each outcome's distribution and the harm by place."""
    runs, accounts = [], {}
    for job in jobs:
        s = summaries[job.out_dir]
        runs.append({"account": job.account, "seed": job.seed, "run_dir": str(job.out_dir),
                     **{name: read(s) for name, read in OUTCOMES.items()}})
    for account in dict.fromkeys(job.account for job in jobs):
        mine = [r for r in runs if r["account"] == account]
        places: dict[str, dict[str, list[int]]] = {}
        for job in (j for j in jobs if j.account == account):
            for place, kinds in summaries[job.out_dir]["harm"]["by_place"].items():
                for kind, n in kinds.items():
                    places.setdefault(place, {}).setdefault(kind, []).append(n)
        accounts[account] = {
            "runs": len(mine),
            "scenario": str(next(j.scenario_path for j in jobs if j.account == account)),
            "outcomes": {name: distribution([r[name] for r in mine]) for name in OUTCOMES},
            # mean per run, counting the runs where nobody came to that harm there as 0
            "harm_by_place_mean": {place: {kind: round(sum(ns) / len(mine), 3) for kind, ns in kinds.items()}
                                   for place, kinds in places.items()},
        }
    return {"runs": runs, "accounts": accounts}


def distribution(values: list) -> dict:
    """Median, mean, range and 5–95 % of the values that exist (None: the outcome did not happen,
    e.g. no death, so no time of the first death); ``happened`` counts those runs."""
    present = np.array([v for v in values if v is not None], dtype=np.float64)
    out = {"happened": int(present.size), "of": len(values)}
    if present.size:
        out.update(median=float(np.median(present)), mean=float(present.mean()), min=float(present.min()),
                   max=float(present.max()), p5=float(np.percentile(present, 5)),
                   p95=float(np.percentile(present, 95)))
    return out


def write_summary(out_dir: Path, result: dict) -> Path:
    path = Path(out_dir) / "ensemble.json"
    tmp = path.with_suffix(".json.partial")
    try:
        tmp.write_text(json.dumps(result, indent=2), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise RunDirectoryError(f"{path}: cannot write the ensemble summary ({exc.strerror})") from exc
    return path
