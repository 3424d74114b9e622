"""Tables that describe a compiled venue (``aforo check``)."""

from __future__ import annotations

import numpy as np
import shapely
from rich.table import Table
from shapely.geometry import Polygon

from aforo.venue.compiled import Venue


def describe(venue: Venue) -> list[Table]:
    """Spaces, openings and populations of a venue as rich tables."""
    return [_spaces(venue), _openings(venue), _populations(venue)]


def _spaces(venue: Venue) -> Table:
    table = Table(title="spaces", title_justify="left")
    for col in ("name", "kind", "area (m²)", "elevation (m)", "notes"):
        table.add_column(col)
    sc = venue.scenario
    for s, name in enumerate(venue.space_names):
        area = venue.space_areas[s].area
        if venue.space_kinds[s] == "level":
            z = f"{venue.space_plane[s, 0]:g}"
            notes = f"{len(sc.level(name).obstacles)} obstacles" if sc.level(name).obstacles else ""
        else:
            st = sc.stair(name)
            z = f"{sc.level(st.lower_level).elevation:g} → {sc.level(st.upper_level).elevation:g}"
            width = np.hypot(*np.subtract(st.lower_edge[1], st.lower_edge[0]))
            notes = (f"{st.steps} steps × {st.rise:g} m, run {st.run_length:.2f} m, width {width:.2f} m; "
                     f"speed ×{st.speed_factor_up:.2f} up, ×{st.speed_factor_down:.2f} down")
        table.add_row(name, venue.space_kinds[s], f"{area:.1f}", z, notes)
    return table


def _openings(venue: Venue) -> Table:
    table = Table(title="ways out and doors", title_justify="left")
    for col in ("name", "kind", "on", "width (m)", "state"):
        table.add_column(col)
    for o in venue.outlets:
        kind = "exterior door" if o.door else "exit"
        state = venue.door_states[o.door] if o.door else "open"
        table.add_row(o.name, kind, venue.space_names[o.space], f"{o.width:.2f}", state)
    for d in venue.interior_doors:
        table.add_row(d.name, "interior door", d.level, f"{d.clear_width:.2f}", venue.door_states[d.name])
    return table


def _populations(venue: Venue) -> Table:
    table = Table(title="populations", title_justify="left")
    for col in ("name", "count", "in", "spawn area (m²)", "density (/m²)", "farthest walk to a way out (m)"):
        table.add_column(col)
    for pop in venue.scenario.populations:
        s = venue.space_index(pop.space)
        region = venue.space_areas[s] if pop.spawn is None else venue.space_areas[s].intersection(Polygon(pop.spawn))
        farthest = farthest_walk_m(venue, s, region)
        table.add_row(
            pop.name, str(pop.count), pop.space, f"{region.area:.1f}",
            f"{pop.count / region.area:.2f}" if region.area > 0 else "–",
            "unreachable" if not np.isfinite(farthest) else f"{farthest:.1f}",
        )
    return table


def farthest_walk_m(venue: Venue, space: int, region) -> float:
    """Largest travel distance (m, weighted by stair slowness) from a point of ``region`` of
    ``space`` to the nearest way out, read from the exit field's raster."""
    g = venue.nav_grid
    nx, ny = int(g.nx[space]), int(g.ny[space])
    iy, ix = np.divmod(np.arange(nx * ny), nx)
    cx = g.origin_x[space] + (ix + 0.5) * g.cell_size
    cy = g.origin_y[space] + (iy + 0.5) * g.cell_size
    cells = g.offset[space] + np.arange(nx * ny)
    inside = shapely.contains_xy(region, cx, cy) & g.free[cells]
    if not inside.any():
        return float("nan")
    times = venue.fields[0].travel_time[cells[inside]]
    return float(times.max())
