"""The ``aforo`` command line: run a scenario, or check one."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

import aforo
from aforo.errors import AforoError, ScenarioError

DESCRIPTION = """\
aforo simulates crowds in buildings when things go wrong: people as bodies that push
(Helbing's social force with contact), venues with levels, stairs and doors, and
the harm that follows. A scenario is a TOML file (see docs/scenario-format.md).

examples:
  aforo check scenarios/los-olivos/venue.toml
  aforo run scenarios/los-olivos/venue.toml --out runs/los-olivos --report
  aforo report runs/los-olivos
  aforo ensemble scenarios/los-olivos/prosecution.toml scenarios/los-olivos/witnesses.toml --out runs/accounts
  aforo verify --quick --out runs/verify
"""

console = Console()
errors = Console(stderr=True)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except AforoError as exc:
        # escape: messages quote TOML ("[levels.hall]", "[[x, y], ...]") and paths, which rich
        # would otherwise read as markup tags (dropping the text, or raising MarkupError)
        errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        return 2
    except FileNotFoundError as exc:
        errors.print(f"[bold red]error:[/] {escape(str(exc.filename))}: no such file", highlight=False)
        return 2
    except KeyboardInterrupt:
        errors.print("[yellow]interrupted: the run directory holds only .partial files[/]")
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aforo", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"aforo {aforo.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="simulate a scenario and write a run directory",
        description="Simulate SCENARIO and write trajectories.parquet, passages.parquet, "
        "doors.parquet, casualties.parquet, gas.parquet, summary.json, scenario.resolved.toml and provenance.json "
        "into DIR (docs/outputs.md).",
    )
    run.add_argument("scenario", type=Path, metavar="SCENARIO", help="scenario file (.toml)")
    run.add_argument("--out", type=Path, required=True, metavar="DIR", help="run directory to write")
    run.add_argument("--overwrite", action="store_true", help="replace a finished run already in DIR")
    run.add_argument("--seed", type=int, help="random seed (overrides [run] seed)")
    run.add_argument("--duration", type=float, metavar="SECONDS",
                     help="simulated time (overrides [run] duration; later events are left out, with a notice)")
    run.add_argument("--threads", type=int, metavar="N", help="worker threads (default: all cores)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--report", action="store_true", help="also write DIR/report.html (see: aforo report)")
    run.set_defaults(handler=_run)

    ensemble = sub.add_parser(
        "ensemble",
        help="run one or more accounts over many seeds and compare their outcomes",
        description="Run each SCENARIO (an account) once per seed, each run a normal run directory under "
        "DIR/<account>/seed-<N>, and report every outcome (dead, unconscious, first death, evacuation...) as a "
        "distribution over the seeds, side by side. Finished runs are kept: rerunning resumes. "
        "Writes DIR/ensemble.json.",
    )
    ensemble.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO", help="scenario files (.toml)")
    ensemble.add_argument("--seeds", default="0-9", metavar="SEEDS", help="e.g. 0-9 (default), 1,4,7 or 0-4,10")
    ensemble.add_argument("--out", type=Path, required=True, metavar="DIR", help="ensemble directory")
    ensemble.add_argument("--workers", type=int, default=os.cpu_count() or 1, metavar="N",
                          help="runs at once, one process each (default: the number of cores)")
    ensemble.set_defaults(handler=_ensemble)

    report = sub.add_parser(
        "report",
        help="draw a finished run as one self-contained HTML page",
        description="Read the run directory RUN and write one HTML page (plots embedded, no other files): "
        "where people were and who was hurt where, the crowd and the highest compression over time, the "
        "doors, the doses breathed, the casualty table and the provenance.",
    )
    report.add_argument("run_dir", type=Path, metavar="RUN", help="a directory written by aforo run")
    report.add_argument("--out", type=Path, metavar="FILE", help="where to write (default: RUN/report.html)")
    report.set_defaults(handler=_report)

    check = sub.add_parser(
        "check",
        help="validate a scenario and describe its venue",
        description="Validate SCENARIO (every problem is listed) and describe its levels, stairs, "
        "doors, exits and populations, with the walking distance from each spawn area to a way out.",
    )
    check.add_argument("scenario", type=Path, metavar="SCENARIO", help="scenario file (.toml)")
    check.set_defaults(handler=_check)

    verify = sub.add_parser(
        "verify",
        help="run the published verification cases and write a report",
        description="Run the RiMEA, NIST TN 1822 and ISO 20414 test cases and the comparisons with published "
        "data (Helbing 2000, Seyfried 2009, Weidmann 1993, stair speeds), and write report.md, report.html, "
        "results.json and plots/ into DIR (docs/verification.md). Without --quick the full variant runs "
        "(more seeds and sweep points; about ten minutes on 2 cores).",
    )
    verify.add_argument("--out", type=Path, metavar="DIR", help="folder for the report (required unless --list)")
    verify.add_argument("--quick", action="store_true", help="the quick variant (a few minutes; what CI runs)")
    verify.add_argument("--only", nargs="+", metavar="ID", help="run only these cases (ids or patterns such as 'rimea-*')")
    verify.add_argument("--readme", type=Path, metavar="README",
                        help="rewrite the results table between the verify markers of this README")
    verify.add_argument("--scenarios", type=Path, metavar="DIR",
                        help="the verification scenarios (default: scenarios/verification of this source tree)")
    verify.add_argument("--threads", type=int, default=1, metavar="N", help="worker threads (default 1)")
    verify.add_argument("--list", action="store_true", help="list the cases and exit")
    verify.add_argument("--quiet", action="store_true", help="no progress bar")
    verify.set_defaults(handler=_verify)
    return parser


def _load(path: Path):
    from aforo.scenario import load

    return load(path)


def _run(args) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from aforo.engine.rundir import run_scenario
    from aforo.scenario import find_problems

    if args.threads:
        import numba

        numba.set_num_threads(max(1, min(args.threads, numba.config.NUMBA_NUM_THREADS)))
    scenario = _load(args.scenario)
    run = scenario.run
    if args.seed is not None:
        run = replace(run, seed=args.seed)
    events = scenario.events
    if args.duration is not None:
        run = replace(run, duration=args.duration)
        events = tuple(e for e in scenario.events if e.at <= args.duration)
        for e in scenario.events[len(events):]:
            console.print(f"[yellow]notice:[/] the run stops before event '{escape(e.label or e.action)}' "
                          f"at {e.at:g} s; it is left out")
    scenario = replace(scenario, run=run, events=events)
    if args.seed is not None or args.duration is not None:  # overrides obey the file's rules
        problems = find_problems(scenario)
        if problems:
            raise ScenarioError(problems, f"{args.scenario} with the --seed/--duration given")
    text = args.scenario.read_text(encoding="utf-8")
    console.print(f"[bold]aforo[/] {aforo.__version__}: {escape(scenario.name)} — {scenario.agent_count} agents, "
                  f"{run.duration:g} s at dt = {run.time_step:g} s")
    if _first_compile():
        console.print("[dim]compiling the simulation kernels: the first run after installing takes a minute or "
                      "two longer; later runs start at once[/]")
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.1f}/{task.total:.0f} s simulated"),
        TextColumn("[dim]{task.fields[inside]}[/] inside"),
        TimeElapsedColumn(),
        console=console,
        disable=args.quiet,
        transient=False,
    ) as bar:
        task = bar.add_task("simulating", total=run.duration, inside=scenario.agent_count)
        watcher = _ProgressObserver(bar, task)
        result = run_scenario(scenario, args.out, scenario_text=text, overwrite=args.overwrite, observers=(watcher,))
    _print_summary(result.summary, args.out)
    if args.report:
        from aforo.report.run_report import write_report

        with console.status("drawing the report"):
            path = write_report(args.out)
        console.print(f"report: [bold]{escape(str(path))}[/] (open it in a browser)")
    else:
        console.print(f"[dim]pictures of the run: aforo report {escape(str(args.out))}[/]")
    return 0


class _ProgressObserver:
    """Moves the progress bar at every recorded frame: simulated time, and agents still inside."""

    def __init__(self, bar, task):
        self.bar = bar
        self.task = task

    def on_start(self, sim) -> None:
        pass

    def on_frame(self, sim) -> None:
        self.bar.update(self.task, completed=sim.time_s, inside=sim.active_count)

    def on_finish(self, sim) -> None:
        self.on_frame(sim)


def _first_compile() -> bool:
    """True when the kernels have not been compiled and cached on this machine yet."""
    import numba

    import aforo.kernels  # noqa: F401  (sets numba's cache directory)

    cache = Path(numba.config.CACHE_DIR) if numba.config.CACHE_DIR else None
    return cache is None or not cache.is_dir() or not any(cache.rglob("*.nbi"))


def _print_summary(summary: dict, out: Path) -> None:
    table = Table(title=f"{escape(summary['scenario'])}: summary", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    evac = summary["evacuation_time_s"]
    table.add_row("agents", str(summary["agents"]))
    never = summary.get("never_entered", 0)
    table.add_row("evacuated", f"{summary['evacuated']} ({summary['remaining']} still inside"
                  + (f", {never} never entered)" if never else ")"))
    table.add_row("evacuation time", f"{evac:.1f} s" if evac is not None else "not everyone left")
    table.add_row("simulated", f"{summary['simulated_time_s']:.1f} s in {summary['wall_time_s']:.1f} s of wall time")
    for o in summary["outlets"]:
        flow = o["flow_per_s"]
        flow_text = f", {flow:.2f} /s ({o['specific_flow_per_m_s']:.2f} /(m·s))" if flow else ""
        table.add_row(f"{o['kind']} {o['name']}", f"{o['passages']} out, {o['width_m']:.2f} m, {o['state']}{flow_text}")
    d = summary["peak_density"]
    if d["agent"] >= 0:
        table.add_row("peak density", f"{d['value_per_m2']:.1f} /m² at ({d['x_m']:.1f}, {d['y_m']:.1f}) on {d['space']}, t = {d['time_s']:.1f} s")
    c = summary["peak_compression"]
    if c["agent"] >= 0:
        table.add_row("peak compression", f"{c['value_n_per_m']:.0f} N/m (agent {c['agent']}) at ({c['x_m']:.1f}, {c['y_m']:.1f}) on {c['space']}, t = {c['time_s']:.1f} s")
    else:
        table.add_row("peak compression", "0 N/m: no one was pressed")
    harm = summary.get("harm")
    if harm:
        c = harm["counts"]
        text = f"{c['dead']} dead, {c['unconscious']} unconscious, {c['injured']} injured; {harm['falls']} falls"
        if harm["first_death_s"] is not None:
            text += f"; first death at t = {harm['first_death_s']:.0f} s"
        table.add_row("harm", text)
        gas = {k: n for k, n in c.items() if "(" in k and n}  # "incapacitated (CS gas)", ...
        if harm.get("exposure"):
            e = harm["exposure"]
            parts = [", ".join(f"{n} {escape(k)}" for k, n in gas.items()) or "no one incapacitated by gas"]
            if e["peak_fed"] > 0:
                parts.append(f"highest FED {e['peak_fed']:.2f} (1 incapacitates)")
            if e["peak_cs_dose_mg_min_m3"] > 0:
                parts.append(f"highest CS dose {e['peak_cs_dose_mg_min_m3']:.1f} mg·min/m³")
            table.add_row("gas and smoke", "; ".join(parts))
        for place, kinds in harm["by_place"].items():
            table.add_row(f"  at {escape(place)}", ", ".join(f"{n} {escape(k)}" for k, n in kinds.items()))
    for leaf in summary.get("door_leaves", []):
        when = leaf["peak_handle_force_needed_time_s"]
        table.add_row(
            f"door {escape(leaf['door'])} leaf {leaf['leaf']}",
            f"{leaf['final_state']} at the end, opened up to {leaf['max_angle_deg']:.0f}°; peak load "
            f"{leaf['peak_contact_force_n']:.0f} N; opening it would have taken up to "
            f"{leaf['peak_handle_force_needed_n']:.0f} N at the handle" + (f" (t = {when:.1f} s)" if when is not None else ""),
        )
    for area in summary.get("areas", []):
        comp = area["peak_compression"]
        text = f"{area['area_m2']:.2g} m²"
        if area["peak_density_per_m2"] is not None:
            text += f"; peak density {area['peak_density_per_m2']:.1f} /m²"
        if area["peak_density_time_s"] is not None:
            text += f" (t = {area['peak_density_time_s']:.1f} s)"
        if comp["agent"] >= 0:
            text += f"; peak compression {comp['value_n_per_m']:.0f} N/m (t = {comp['time_s']:.1f} s)"
        table.add_row(f"area {escape(area['area'])}", text)
    for event in summary.get("timeline", []):
        when = event["clock"] or f"{event['time_s']:.1f} s"
        what = event["label"] or " ".join(str(x) for x in (event["action"], event["door"] or event["population"], event["to"] or "") if x)
        table.add_row(f"[dim]{escape(when)}[/]", escape(what))
    diag = summary["diagnostics"]
    if summary["messages_total"]:
        table.add_row("[yellow]warnings[/]", f"{summary['messages_total']} (see summary.json)")
    table.add_row("contact sub-steps", f"at most {diag['most_substeps_in_a_step']} in one step; wall guard reverted {diag['wall_reverts']} moves")
    console.print(table)
    console.print(f"written to [bold]{escape(str(out))}[/]: trajectories.parquet, passages.parquet, doors.parquet, "
                  "casualties.parquet, gas.parquet, summary.json")


def _ensemble(args) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from aforo.forensics import ensemble as ens

    for path in args.scenarios:  # every account must load before hours of work start
        _load(path)
    jobs = ens.plan(args.scenarios, ens.parse_seeds(args.seeds), args.out)
    if _first_compile():
        console.print("[dim]compiling the simulation kernels first: a minute or two[/]")
    with Progress(TextColumn("runs"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("runs", total=len(jobs))
        summaries = ens.run_ensemble(jobs, workers=max(1, args.workers),
                                     on_done=lambda job, summary: bar.advance(task))
    result = ens.summarize(jobs, summaries)
    path = ens.write_summary(args.out, result)
    _print_ensemble(result)
    console.print(f"written to [bold]{escape(str(path))}[/]; each run: {escape(str(args.out))}/<account>/seed-<N>")
    return 0


def _print_ensemble(result: dict) -> None:
    accounts = result["accounts"]
    table = Table(title=escape("outcomes over seeds: median [min–max] (runs where it happened)"), title_justify="left")
    table.add_column("outcome", style="bold")
    for name, acc in accounts.items():
        table.add_column(f"{escape(name)} ({acc['runs']} runs)")
    outcomes = next(iter(accounts.values()))["outcomes"]
    for outcome in outcomes:
        cells = []
        for acc in accounts.values():
            d = acc["outcomes"][outcome]
            if not d["happened"]:
                cells.append("[dim]never[/]")
                continue
            text = escape(f"{d['median']:.4g} [{d['min']:.4g}–{d['max']:.4g}]")
            cells.append(text if d["happened"] == d["of"] else f"{text} ({d['happened']}/{d['of']})")
        table.add_row(escape(outcome), *cells)
    console.print(table)


def _report(args) -> int:
    from aforo.report.run_report import write_report

    with console.status("drawing the report"):
        path = write_report(args.run_dir, args.out)
    console.print(f"report written to [bold]{escape(str(path))}[/]")
    return 0


def _check(args) -> int:
    from aforo.hazards.settings import harm_parameters
    from aforo.venue import compile_venue
    from aforo.report.describe import describe

    scenario = _load(args.scenario)
    try:
        harm_parameters(scenario.harm)  # the harm models' own rules on the [harm] thresholds
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, str(args.scenario)) from None
    console.print(f"[green]✓[/] {escape(str(args.scenario))}: valid scenario [bold]{escape(scenario.name)}[/]")
    venue = compile_venue(scenario)
    for table in describe(venue):
        console.print(table)
    return 0


def _verify(args) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from aforo.verify import run_verification, select, update_readme, write_reports
    from aforo.verify.report import prepare_output, summary_line
    from aforo.verify.simulate import VerificationError

    cases = select(args.only)  # unknown ids fail here, before anything runs
    if args.list:
        table = Table(title="verification cases", title_justify="left")
        for column in ("id", "suite", "title", "applies"):
            table.add_column(column)
        for c in cases:
            table.add_row(c.id, c.suite, escape(c.title), "yes" if c.applies else "no: " + escape(c.not_applicable))
        console.print(table)
        return 0
    if args.out is None:
        raise VerificationError("give --out DIR: the folder the report is written to")
    out = prepare_output(args.out)  # an unwritable folder fails here, before anything runs
    if args.readme is not None and not args.readme.is_file():
        raise VerificationError(f"{args.readme}: no such README to update")
    console.print(f"[bold]aforo[/] {aforo.__version__}: verify, {'quick' if args.quick else 'full'} variant, "
                  f"{len(cases)} cases")
    if _first_compile():
        console.print("[dim]compiling the simulation kernels: the first run after installing takes a minute or "
                      "two longer[/]")
    marks = {"pass": "[green]pass[/]", "fail": "[bold red]FAIL[/]", "n/a": "[dim]n/a[/]", "not judged": "[yellow]not judged[/]"}
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} cases"), TimeElapsedColumn(),
                  console=console, disable=args.quiet) as bar:
        task = bar.add_task("verifying", total=len(cases))

        def progress(text: str) -> None:
            bar.update(task, description=escape(text))

        def done(result) -> None:
            bar.advance(task)
            bar.console.print(f"{marks[result.outcome.status]} {escape(result.case.id)}: "
                              f"{escape(result.outcome.measured)} [dim]({result.wall_time_s:.1f} s)[/]")

        run = run_verification([c.id for c in cases], full=not args.quick, scenarios_dir=args.scenarios,
                               threads=args.threads, on_progress=progress, on_result=done)
    paths = write_reports(run, out)
    if args.readme is not None:
        try:
            report = str(paths["markdown"].resolve().relative_to(args.readme.resolve().parent))
        except ValueError:
            report = str(paths["markdown"])
        update_readme(args.readme, run, report)
    console.print(f"{escape(summary_line(run))}")
    console.print(f"written to [bold]{escape(str(out))}[/]: report.md, report.html, results.json, plots/"
                  + (f"; results table in {escape(str(args.readme))}" if args.readme is not None else ""))
    errors_raised = [r.case.id for r in run.results if r.outcome.error]
    if errors_raised:
        errors.print(f"[bold red]error:[/] cases raised errors (see the report): {', '.join(errors_raised)}")
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
