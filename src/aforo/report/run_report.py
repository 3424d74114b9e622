"""``aforo report RUN``: one self-contained HTML page that shows what happened in a run.

Who was where (time spent per square metre of floor), who was hurt where and how, how the crowd
left, how hard bodies were pressed, what the doors did, what people breathed. Built only from
the run directory's files (:mod:`aforo.analysis.run`), so anyone holding the files can rebuild
and check it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aforo.analysis.run import Run, exposure_at_end, frame_series, load_run, occupancy
from aforo.report import html

PLAN_CELL_M = 0.5  # fine enough for a stair's width, coarse enough that standing people blur into a crowd
STATE_RANK = {"incapacitated": 1, "lethal dose": 2, "injured": 11, "unconscious": 12, "dead": 13}
INJURY_N_PER_M = 1600.0  # Helbing, Farkas & Vicsek 2000 (the line drawn on the compression plot)
# Casualty markers: state → (marker, colour)
MARKERS = {"dead": ("X", "#b2182b"), "unconscious": ("o", "#ef8a62"), "injured": ("^", "#fddbc7"),
           "incapacitated": ("P", "#2166ac"), "lethal dose": ("*", "#053061")}


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the report (default: ``RUN/report.html``) and return its path."""
    import matplotlib

    matplotlib.use("Agg")  # files, never a window
    run = load_run(run_dir)
    out = Path(out) if out is not None else run.directory / "report.html"
    sections = [_key_numbers(run), _plans(run), _over_time(run), _doors(run), _exposure(run), _casualty_table(run),
                _provenance(run)]
    s = run.summary
    subtitle = (f"{run.scenario.description} — seed {s['seed']}, aforo {s['aforo_version']}, "
                f"{s['simulated_time_s']:.0f} s simulated")
    out.write_text(html.page(f"aforo run: {s['scenario']}", [x for x in sections if x], subtitle=subtitle),
                   encoding="utf-8")
    return out


def _key_numbers(run: Run) -> str:
    s = run.summary
    harm = s["harm"]["counts"]
    evac = s["evacuation_time_s"]
    rows = [
        ("agents", s["agents"]),
        ("evacuated", s["evacuated"]),
        ("still inside at the end", s["remaining"]),
        ("evacuation time (s)", round(evac, 1) if evac is not None else "not everyone left"),
        ("dead / unconscious / injured", f"{harm['dead']} / {harm['unconscious']} / {harm['injured']}"),
        ("falls", s["harm"]["falls"]),
        ("peak compression (N/m)", round(s["peak_compression"]["value_n_per_m"])),
        ("peak density (1/m²)", round(s["peak_density"]["value_per_m2"], 1)),
    ]
    rows += [(k, n) for k, n in harm.items() if "(" in k]  # gas harm, counted apart
    return "<h2>In numbers</h2>" + html.table(("measure", "value"), rows)


def _plans(run: Run) -> str:
    """One plan per space: time spent per m² (where people stood, and for how long), casualties."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    parts = []
    casualties = _worst_per_agent(run.casualties.to_pylist())
    for space in run.scenario.space_names:
        occ = occupancy(run, space, cell_m=PLAN_CELL_M)
        fig, ax = plt.subplots(figsize=(7, 5))
        _outline(ax, run, space)
        data = np.where(occ.person_seconds_per_m2 > 0, occ.person_seconds_per_m2, np.nan)
        if np.isfinite(data).any():
            mesh = ax.pcolormesh(occ.x_edges_m, occ.y_edges_m, data, cmap="viridis",
                                 norm=LogNorm(vmin=max(np.nanmin(data), 1e-2), vmax=np.nanmax(data)))
            fig.colorbar(mesh, ax=ax, label="person-seconds per m²")
        for state, (marker, colour) in MARKERS.items():
            pts = [(c["x_m"], c["y_m"]) for c in casualties if c["space"] == space and c["state"] == state]
            if pts:
                xs, ys = zip(*pts)
                ax.scatter(xs, ys, marker=marker, s=60, c=colour, edgecolors="black", linewidths=0.6,
                           label=f"{state} ({len(pts)})", zorder=5)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", bbox_to_anchor=(1.25, 1.0), fontsize=8)
        ax.set_aspect("equal")
        ax.set_xlabel("x (m)")
        ax.set_ylabel("y (m)")
        ax.set_title(space)
        parts.append(html.figure(fig, f"plan of {space}: time spent per square metre and casualties"))
    note = (f'<p class="muted">Colour: how long people stood on each {PLAN_CELL_M:g} m cell, summed over everyone '
            "(person-seconds per m², log scale). Markers: each casualty once, at its worst state, where it "
            "reached it (compression harm before gas harm).</p>")
    return "<h2>Where people were, and who was hurt where</h2>" + note + "".join(parts)


def _worst_per_agent(rows: list[dict]) -> list[dict]:
    """One row per agent, at its worst state (compression harm ranks above gas harm)."""
    worst: dict[int, dict] = {}
    for row in rows:
        held = worst.get(row["agent"])
        if held is None or STATE_RANK[row["state"]] > STATE_RANK[held["state"]]:
            worst[row["agent"]] = row
    return list(worst.values())


def _outline(ax, run: Run, space: str) -> None:
    sc = run.scenario
    if space in {lv.name for lv in sc.levels}:
        level = sc.level(space)
        for ring in (*level.walkable, *level.obstacles):
            xs, ys = zip(*ring, ring[0])
            ax.plot(xs, ys, color="black", linewidth=1.2)
        for door in level.doors:
            (x1, y1), (x2, y2) = door.jambs
            ax.plot([x1, x2], [y1, y2], color="#d95f02", linewidth=3, label=f"door {door.name}")
        for exit_ in level.exits:
            (x1, y1), (x2, y2) = exit_.segment
            ax.plot([x1, x2], [y1, y2], color="#1b9e77", linewidth=3, label=f"exit {exit_.name}")
    else:
        ring = sc.stair(space).footprint
        xs, ys = zip(*ring, ring[0])
        ax.plot(xs, ys, color="black", linewidth=1.2)


def _over_time(run: Run) -> str:
    import matplotlib.pyplot as plt

    series = frame_series(run)
    if series.time_s.size == 0:
        return ""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    evac = run.summary["evacuated_over_time"]
    top.plot(evac["time_s"], evac["evacuated"], label="evacuated")
    top.plot(series.time_s, series.inside, label="inside")
    top.plot(series.time_s, series.limp, label="down (fallen, unconscious or dead)")
    top.set_ylabel("people")
    top.legend(fontsize=8)
    bottom.plot(series.time_s, series.max_compression_n_per_m, color="#b2182b", linewidth=0.8)
    bottom.axhline(INJURY_N_PER_M, color="grey", linestyle="--", label="injury, 1600 N/m (Helbing 2000)")
    bottom.set_ylabel("highest compression (N/m)")
    bottom.set_xlabel("time (s)")
    bottom.legend(fontsize=8)
    for event in run.summary.get("timeline", []):
        for ax in (top, bottom):
            ax.axvline(event["time_s"], color="#999", linewidth=0.6)
        top.annotate(event["clock"] or f"{event['time_s']:.0f} s", (event["time_s"], top.get_ylim()[1]),
                     fontsize=7, rotation=90, va="top", ha="right", color="#555")
    return "<h2>Over time</h2>" + html.figure(fig, "people evacuated, inside and down; highest compression")


def _doors(run: Run) -> str:
    import matplotlib.pyplot as plt

    doors = run.doors
    if doors.num_rows == 0:
        return ""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5), sharex=True)
    name = doors["door"].to_numpy(zero_copy_only=False)
    leaf = doors["leaf"].to_numpy()
    t = doors["time_s"].to_numpy()
    for door, lf in sorted(set(zip(name, leaf))):
        rows = (name == door) & (leaf == lf)
        label = f"{door} leaf {lf}"
        top.plot(t[rows], doors["angle_deg"].to_numpy()[rows], label=label)
        bottom.plot(t[rows], doors["handle_force_needed_n"].to_numpy()[rows], linewidth=0.8, label=label)
    top.set_ylabel("leaf open (deg)")
    top.legend(fontsize=8)
    bottom.set_ylabel("force needed at the handle (N)")
    bottom.set_xlabel("time (s)")
    note = ('<p class="muted">The force one person would need at the handle to open each leaf against the '
            "bodies pressing it shut (docs/outputs.md, doors.parquet).</p>")
    return "<h2>Doors</h2>" + note + html.figure(fig, "door leaf angles and handle forces over time")


def _exposure(run: Run) -> str:
    import matplotlib.pyplot as plt

    doses = exposure_at_end(run)
    shown = [(k, v) for k, v in doses.items() if v.size and v.max() > 0]
    if not shown:
        return ""
    fig, axes = plt.subplots(1, len(shown), figsize=(4.5 * len(shown), 3.2), squeeze=False)
    labels = {"fed": ("fractional effective dose (FED)", 1.0),
              "cs_dose_mg_min_m3": ("CS dose (mg·min/m³)", None)}
    for ax, (name, values) in zip(axes[0], shown):
        label, limit = labels[name]
        ax.hist(values, bins=30, color="#4393c3")
        if limit is not None:
            ax.axvline(limit, color="black", linestyle="--", label="incapacitation")
            ax.legend(fontsize=8)
        ax.set_xlabel(label)
        ax.set_ylabel("people")
    return ("<h2>What people breathed</h2><p class=\"muted\">Each person's dose at their last recorded frame "
            "(on leaving, or at the end).</p>" + html.figure(fig, "distribution of doses"))


def _casualty_table(run: Run) -> str:
    rows = run.casualties.to_pylist()
    if not rows:
        return "<h2>Casualties</h2><p>No one was harmed.</p>"
    clock = run.scenario.clock_start
    body = [(r["agent"], r["population"], r["state"], r["cause"], round(r["time_s"], 1),
             _clock(clock, r["time_s"]), r["area"] or r["space"], round(r["x_m"], 2), round(r["y_m"], 2),
             round(r["peak_compression_n_per_m"])) for r in sorted(rows, key=lambda r: r["time_s"])]
    return "<h2>Casualties</h2>" + html.table(
        ("agent", "population", "state", "cause", "time (s)", "clock", "place", "x (m)", "y (m)",
         "peak compression (N/m)"), body)


def _clock(start: str | None, time_s: float) -> str:
    if start is None:
        return ""
    parts = [int(p) for p in start.split(":")] + [0]
    total = parts[0] * 3600 + parts[1] * 60 + parts[2] + int(round(time_s))
    return f"{total // 3600 % 24:02d}:{total // 60 % 60:02d}:{total % 60:02d}"


def _provenance(run: Run) -> str:
    p = run.provenance
    rows = [(k, p[k]) for k in ("aforo_version", "seed", "threads", "scenario_sha256", "resolved_scenario_sha256",
                                "started_utc", "wall_time_s") if k in p]
    rows += [(f"input file {path}", sha) for path, sha in p.get("input_files_sha256", {}).items()]
    return ("<h2>Provenance</h2><p class=\"muted\">Rerun with <code>aforo run scenario.resolved.toml</code> "
            "from the run directory and the same seed and thread count to get the same bits.</p>"
            + html.table(("", ""), rows))
