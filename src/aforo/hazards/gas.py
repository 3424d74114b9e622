"""Irritant gas (CS tear gas) in the air of a venue: a concentration field per space.

Physics (numbers from shared/reference/tear-gas.md):

* CS is dispersed as an aerosol of about 1 µm that moves with the air (settling ≈ 4.5·10⁻⁵ m/s,
  molecular diffusion irrelevant), so it is carried as a **passive scalar**: concentration C
  (mg/m³), no chemistry, no deposition, no settling.
* Indoor air motion is represented by a **turbulent diffusivity** D. Measured indoor values are
  0.001–0.013 m²/s, rising with the air change rate (Cheng et al. 2011, Environ. Sci. Technol.
  45:4016); the default is 0.01 m²/s. A crowd in flight stirs the air more than a quiet room, so
  D is an argument of every step and may be raised. Mixing through a room of side L takes about
  L²/(π²D): 17 min for 10 m at D = 0.01 m²/s, 20 s at 0.5 m²/s (the reference's "5–10 min" for
  a puff is τ for D ≈ 0.017–0.034 m²/s in such a room).
* **Ventilation** removes C·ACH/3600 per second (well-mixed first-order removal by air changes
  per hour), per space.
* Optionally, an open **outlet** (an exit to the outdoors) lets gas diffuse out into outside air
  taken as clean (C = 0 one cell beyond the exit line). Only diffusion is modelled: no draught
  through the doorway. The mass that leaves this way is counted as ``leaked_mg``.

The model is 2½-D: each space (a level's floor or a stair flight) is a plan raster of square
cells of side h, and each cell is a column of air of the space's full height H, assumed mixed
over its height (a release is spread over the column at once). Finite volumes:

* cell volume V = h²·H for a cell whose centre lies inside the space's polygon; the air volume of
  a space is therefore its rasterised area times H (exact for walls on the lattice lines);
* the flux between neighbouring cells i and j is F = D · A_face · (C_j − C_i) / h with
  A_face = h · min(H_i, H_j), so gas passes a stair edge or door between spaces of different
  heights through the lower of the two. Walls (each space's boundary, except where an opening
  or an open outlet lies on it) and closed openings carry no flux. F is antisymmetric, so the
  fluxes conserve mass exactly up to round-off.

Time stepping (kernel :func:`aforo.kernels.gas.gas_step`): explicit forward Euler, sub-stepped so
that for every cell dt_sub · D · ΣA_face/(h·V) ≤ ½, i.e. dt_sub ≤ h²/(8D) on a uniform grid (half
the classical limit h²/(4D): every Fourier mode is then damped without changing sign, so no
checkerboard survives a point release). Each sub-step is a convex combination of neighbouring
concentrations, so C never goes negative and never overshoots, whatever the outer dt. Ventilation
is applied after each sub-step as the exact factor exp(−ACH·dt_sub/3600). The cost of one call is
about ⌈8·D·dt/h²⌉ sweeps over the cells.

Use: build a :class:`GasGrid` once with :func:`build_gas_grid` (spaces, the openings where their
air meets, interior doorways as openings within one space, exits as outlets), make a
:class:`GasField`, :meth:`~GasField.release` gas where and when a canister emits it, call
:meth:`~GasField.step` every outer step (or every few) with the openings and outlets open now, and
read :meth:`~GasField.concentration_at` at the agents' positions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Real

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from aforo.errors import AforoError
from aforo.kernels.gas import OUTSIDE, gas_step, total_mass
from aforo.navigation.grid import (
    cells_on_segment,
    check_on_boundary,
    cut_links_crossing,
    lattice_links,
    raster_layout,
    read_only,
    segments_of,
)
from aforo.navigation.lattice import (
    DOWN_SLOT,
    UP_SLOT,
    RasterLayout,
    crossed_links,
    link_cells,
    point_segment_distance,
    segment_band_distance,
)
from aforo.navigation.spaces import NavigationError

Segment = tuple[tuple[float, float], tuple[float, float]]

DEFAULT_CELL_SIZE_M = 0.25
MAX_CELL_SIZE_M = 0.25
LEVEL_HEIGHT_M = 3.0  # default ceiling height of a level's air volume
DEFAULT_DIFFUSIVITY_M2_S = 0.01  # Cheng et al. 2011: 0.001–0.013 m²/s indoors (tear-gas.md)
STABILITY_FRACTION = 0.5  # dt_sub · D · (Σ conductance / V) ≤ this for every cell
MAX_SUBSTEPS = 10_000_000  # refuse a step that would take longer than this many sweeps
ON_BOUNDARY_TOLERANCE_M = 1e-3  # how far an opening or outlet may lie from its boundary
OPENING_TRIM_M = 1e-6  # half-width of the strip cut from a boundary where an opening lies
ON_LINE_TOLERANCE_M = 1e-9  # a cell centre this close to an opening lies on it


class GasError(AforoError, ValueError):
    """Gas input that cannot be used: a bad space, opening, release or step argument."""


@dataclass(frozen=True)
class GasSpace:
    """The air of one venue space (a level's floor or a stair flight).

    polygon   walkable area in plan (m), a shapely Polygon or MultiPolygon
    height_m  height of the air column over the floor (m); 3.0 for a level by default. For a stair
              use :meth:`for_stair`.
    """

    polygon: BaseGeometry
    height_m: float = LEVEL_HEIGHT_M

    def __post_init__(self) -> None:
        if not isinstance(self.polygon, (Polygon, MultiPolygon)) or self.polygon.is_empty:
            raise GasError("GasSpace.polygon must be a non-empty Polygon or MultiPolygon, "
                           f"got {self.polygon!r:.80}")
        if not shapely.is_valid(self.polygon):
            raise GasError(f"GasSpace.polygon is not valid: {shapely.is_valid_reason(self.polygon)}")
        if not (isinstance(self.height_m, Real) and math.isfinite(self.height_m) and self.height_m > 0):
            raise GasError(f"GasSpace.height_m must be a finite number > 0, got {self.height_m!r}")

    @classmethod
    def for_stair(cls, polygon: BaseGeometry, *, rise_m: float,
                  upper_ceiling_m: float = LEVEL_HEIGHT_M) -> "GasSpace":
        """A stair flight in an open stairwell: the air over the flight reaches from the steps up to
        the upper level's ceiling, ``upper_ceiling_m`` above the upper floor, so the column is
        rise + ceiling tall at the foot and ceiling tall at the head; its mean height
        rise/2 + ceiling is used (4.5 m for a 3 m rise under a 3 m ceiling)."""
        return cls(polygon=polygon, height_m=0.5 * float(rise_m) + float(upper_ceiling_m))


@dataclass(frozen=True)
class GasOpening:
    """Where air of two spaces meets, or where a doorway crosses one space.

    space_a, space_b  the spaces joined. Different spaces: ``segment`` lies on the boundary of
                      both (a stair edge, a door between spaces); cells either side are linked.
                      The same space twice: an interior door; ``segment`` (its jambs) crosses the
                      space's walkable area and the links it crosses become this opening's.
    segment           ((x1, y1), (x2, y2)) in metres

    The links of an opening can be shut per step (``GasField.step(open_links=...)``).
    """

    space_a: int
    space_b: int
    segment: Segment


@dataclass(frozen=True)
class GasOutlet:
    """An exit to the outdoors on the outer boundary of ``space``; open, gas diffuses out of it
    into clean outside air. ``segment`` = ((x1, y1), (x2, y2)) in metres."""

    space: int
    segment: Segment


@dataclass(frozen=True, eq=False)
class GasGrid:
    """Every space rasterised on one lattice (that of :mod:`aforo.navigation.lattice`), with the
    finite-volume geometry of the air. Built by :func:`build_gas_grid`; arrays are read-only.

    layout          where each space's raster sits; cell (ix, iy) of space s is
                    ``layout.offset[s] + iy·nx[s] + ix`` and covers
                    [(first_gx+ix)·h, …+h) × [(first_gy+iy)·h, …+h)
    height_m        [n_spaces] air column height of each space (m)
    polygons        the spaces' polygons
    free            [n_cells] bool, cell is air (centre inside its space's polygon; a centre on an
                    opening between two spaces counts in ``space_a`` only)
    volume_m3       [n_cells] h²·height for free cells, 0 elsewhere
    space_of_cell   [n_cells] int64
    neighbours      [n_cells, 4] int64, −x, +x, −y, +y: a cell, −1 (wall or nothing) or −2 (the
                    outside air, through an outlet)
    conductance_m   [n_cells, 4] face area / h = min(height_i, height_j) (m); symmetric
    switch          [n_cells, 4] int64, −1 (always open), k < n_openings (opening k) or
                    n_openings + k (outlet k)
    opening_links   [n_openings] number of links each opening carries
    outlet_links    [n_outlets] number of cell faces each outlet opens
    max_rate_per_m2 max over cells of Σ conductance / volume (1/m²); D times this bounds the
                    stable explicit rate, so dt_sub ≤ ½ / (D · max_rate_per_m2)
    read_cell       [n_cells] int64, the cell whose value a point in this cell reads: itself when
                    free; for a cell that is not air but meets its polygon, the nearest free cell
                    among its eight neighbours; −1 otherwise
    near_boundary   [n_cells] bool, the cell may meet its polygon's boundary: a point in it is
                    tested against the polygon before it reads anything
    x, y            [n_cells] cell-centre coordinates (m)
    """

    layout: RasterLayout
    height_m: np.ndarray
    polygons: tuple
    free: np.ndarray
    volume_m3: np.ndarray
    space_of_cell: np.ndarray
    neighbours: np.ndarray
    conductance_m: np.ndarray
    switch: np.ndarray
    opening_links: np.ndarray
    outlet_links: np.ndarray
    max_rate_per_m2: float
    read_cell: np.ndarray
    near_boundary: np.ndarray
    x: np.ndarray
    y: np.ndarray

    @property
    def cell_size(self) -> float:
        return self.layout.cell_size

    @property
    def n_spaces(self) -> int:
        return int(self.height_m.size)

    @property
    def n_cells(self) -> int:
        return self.layout.n_cells

    @property
    def n_openings(self) -> int:
        return int(self.opening_links.size)

    @property
    def n_outlets(self) -> int:
        return int(self.outlet_links.size)

    def space_volume_m3(self) -> np.ndarray:
        """[n_spaces] air volume of each space as rasterised (m³)."""
        return np.bincount(self.space_of_cell, weights=self.volume_m3, minlength=self.n_spaces)

    def substeps(self, dt_s: float, diffusivity_m2_s: float) -> int:
        """Number of explicit sub-steps :meth:`GasField.step` takes for this dt and D."""
        demand = dt_s * diffusivity_m2_s * self.max_rate_per_m2 / STABILITY_FRACTION
        if not math.isfinite(demand) or demand > MAX_SUBSTEPS:
            raise GasError(
                f"a gas step of {dt_s!r} s at D = {diffusivity_m2_s!r} m²/s needs more than "
                f"{MAX_SUBSTEPS} explicit sub-steps of at most "
                f"{STABILITY_FRACTION / (diffusivity_m2_s * self.max_rate_per_m2):.3g} s; "
                "call step more often with a shorter dt"
            )
        return max(1, math.ceil(demand - 1e-12))

    def cells_at(self, space, x, y) -> np.ndarray:
        """Cell read at each point (see ``read_cell``), −1 where the point is outside its space's
        polygon or not finite. ``space``, ``x``, ``y`` broadcast together."""
        space, x, y = np.broadcast_arrays(np.asarray(space), np.asarray(x, dtype=float),
                                          np.asarray(y, dtype=float))
        shape = space.shape
        space, x, y = space.ravel(), x.ravel(), y.ravel()
        if space.size and not np.issubdtype(space.dtype, np.integer):
            raise GasError(f"space must be integer indices, got dtype {space.dtype}")
        space = space.astype(np.int64)
        if space.size and (space.min() < 0 or space.max() >= self.n_spaces):
            raise GasError(f"space indices must be in 0..{self.n_spaces - 1}, "
                           f"got {space.min()}..{space.max()}")
        out = np.full(space.size, -1, dtype=np.int64)
        finite = np.isfinite(x) & np.isfinite(y)
        if not finite.any():
            return out.reshape(shape)
        h = self.cell_size
        s = space[finite]
        gx = np.floor(x[finite] / h)
        gy = np.floor(y[finite] / h)
        ix = gx - self.layout.first_gx[s]
        iy = gy - self.layout.first_gy[s]
        inside = (ix >= 0) & (ix < self.layout.nx[s]) & (iy >= 0) & (iy < self.layout.ny[s])
        index = np.full(s.size, -1, dtype=np.int64)
        si = s[inside]
        index[inside] = (self.layout.offset[si] + iy[inside].astype(np.int64) * self.layout.nx[si]
                         + ix[inside].astype(np.int64))
        read = np.where(index >= 0, self.read_cell[np.maximum(index, 0)], -1)
        check = (read >= 0) & self.near_boundary[np.maximum(index, 0)]
        if check.any():
            fx, fy = x[finite], y[finite]
            for sp in np.unique(s[check]):
                these = np.flatnonzero(check & (s == sp))
                covered = shapely.intersects_xy(self.polygons[sp], fx[these], fy[these])
                read[these[~covered]] = -1
        out[np.flatnonzero(finite)] = read
        return out.reshape(shape)


def _check_segment(segment, what: str) -> np.ndarray:
    try:
        array = np.asarray(segment, dtype=float).reshape(2, 2)
    except (TypeError, ValueError) as error:
        raise GasError(f"{what}: a segment must be ((x1, y1), (x2, y2)), got {segment!r}") from error
    if not np.all(np.isfinite(array)) or np.hypot(*(array[1] - array[0])) == 0.0:
        raise GasError(f"{what}: segment must be finite and of non-zero length, got {segment!r}")
    return array


def _check_index(space, n: int, what: str) -> int:
    if not isinstance(space, (int, np.integer)) or isinstance(space, bool) or not 0 <= int(space) < n:
        raise GasError(f"{what}: space index {space!r} is not in 0..{n - 1}")
    return int(space)


def _on_boundary(polygon, segment, what):
    try:
        check_on_boundary(polygon, segment, ON_BOUNDARY_TOLERANCE_M, what)
    except NavigationError as error:
        raise GasError(str(error)) from None


def _layout(spaces: Sequence[GasSpace], h: float) -> RasterLayout:
    """Rasters covering each polygon's bounds and one spare ring (the cells beyond an outlet)."""
    return raster_layout([space.polygon for space in spaces], h, 1)


def _read_cells(layout: RasterLayout, spaces, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``read_cell`` and ``near_boundary`` (see :class:`GasGrid`)."""
    h = layout.cell_size
    read = np.where(free, np.arange(layout.n_cells), -1).astype(np.int64)
    boundary_segments = [segments_of(space.polygon.boundary) for space in spaces]
    segments = np.vstack(boundary_segments)
    owner = np.concatenate([np.full(len(b), s, dtype=np.int64) for s, b in enumerate(boundary_segments)])
    # a cell meets a segment only if its centre is within half a diagonal of it
    reach = 0.5 * math.sqrt(2.0) * h * (1.0 + 1e-9) + 1e-12
    distance, _ = segment_band_distance(layout, segments, owner, reach)
    near = np.isfinite(distance)
    x, y = layout.centres()
    for s in range(layout.nx.size):
        first, nx, ny = int(layout.offset[s]), int(layout.nx[s]), int(layout.ny[s])
        cells = first + np.flatnonzero(near[first:first + nx * ny] & ~free[first:first + nx * ny])
        if cells.size == 0:
            continue
        local = cells - first
        ix, iy = local % nx, local // nx
        best = np.full(cells.size, -1, dtype=np.int64)
        best_d = np.full(cells.size, np.inf)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                if dx == 0 and dy == 0:
                    continue
                jx, jy = ix + dx, iy + dy
                ok = (jx >= 0) & (jx < nx) & (jy >= 0) & (jy < ny)
                j = np.where(ok, first + jy * nx + jx, 0)
                ok &= free[j]
                d = math.hypot(dx, dy)
                better = ok & (d < best_d)
                best[better] = j[better]
                best_d[better] = d
        read[cells] = best
    return read, near


def build_gas_grid(*, spaces: Sequence[GasSpace], openings: Sequence[GasOpening] = (),
                   outlets: Sequence[GasOutlet] = (), cell_size: float = DEFAULT_CELL_SIZE_M) -> GasGrid:
    """Rasterise the spaces' air at ``cell_size`` (m, at most 0.25) and join them across openings.

    spaces     the venue's spaces in index order (levels and stair flights)
    openings   where air of two spaces meets (on both boundaries), or an interior doorway
               (space_a == space_b, crossing the walkable area); each must join at least one
               pair of cells
    outlets    exits to the outdoors (on the outer boundary of their space); optional

    Raises :class:`GasError` naming the bad item.
    """
    spaces = tuple(spaces)
    if not spaces:
        raise GasError("at least one GasSpace is needed")
    for k, space in enumerate(spaces):
        if not isinstance(space, GasSpace):
            raise GasError(f"spaces[{k}] must be a GasSpace, got {type(space).__name__}")
    if not (isinstance(cell_size, Real) and math.isfinite(cell_size) and 0 < cell_size <= MAX_CELL_SIZE_M):
        raise GasError(f"cell_size must be a number in (0, {MAX_CELL_SIZE_M}] m, got {cell_size!r}")
    h = float(cell_size)
    n = len(spaces)
    height = np.array([float(s.height_m) for s in spaces])

    checked = []
    cuts_by_space: list[list[np.ndarray]] = [[] for _ in spaces]
    for k, opening in enumerate(openings):
        what = f"openings[{k}]"
        if not isinstance(opening, GasOpening):
            raise GasError(f"{what} must be a GasOpening, got {type(opening).__name__}")
        a = _check_index(opening.space_a, n, what)
        b = _check_index(opening.space_b, n, what)
        segment = _check_segment(opening.segment, what)
        if a != b:
            for s in (a, b):
                _on_boundary(spaces[s].polygon, segment, f"{what} (space {s})")
                cuts_by_space[s].append(segment)
        checked.append((a, b, segment, what))
    checked_outlets = []
    for k, outlet in enumerate(outlets):
        what = f"outlets[{k}]"
        if not isinstance(outlet, GasOutlet):
            raise GasError(f"{what} must be a GasOutlet, got {type(outlet).__name__}")
        s = _check_index(outlet.space, n, what)
        segment = _check_segment(outlet.segment, what)
        _on_boundary(spaces[s].polygon, segment, what)
        checked_outlets.append((s, segment, what))

    layout = _layout(spaces, h)
    free = np.empty(layout.n_cells, dtype=bool)
    for s, space in enumerate(spaces):
        x, y = layout.space_centres(s)
        shapely.prepare(space.polygon)
        free[layout.offset[s]:layout.offset[s + 1]] = shapely.contains_xy(space.polygon, x, y)
    for a, b, segment, _ in checked:
        if a != b:  # a centre on the line counts once, in space_a
            free[cells_on_segment(layout, a, segment)] = True
            free[cells_on_segment(layout, b, segment)] = False

    neighbours = lattice_links(layout, free)
    walls, wall_space = [], []
    for s, space in enumerate(spaces):
        boundary = space.polygon.boundary
        if cuts_by_space[s]:
            boundary = boundary.difference(shapely.union_all(
                [LineString(c).buffer(OPENING_TRIM_M, cap_style="flat") for c in cuts_by_space[s]]))
        pieces = segments_of(boundary)
        walls.append(pieces)
        wall_space.append(np.full(len(pieces), s, dtype=np.int64))
    cut_links_crossing(neighbours, layout, np.vstack(walls), np.concatenate(wall_space))

    space_of_cell = np.repeat(np.arange(n, dtype=np.int64), np.diff(layout.offset))
    conductance = np.where(neighbours >= 0, height[space_of_cell][:, None], 0.0)
    switch = np.full((layout.n_cells, 4), -1, dtype=np.int64)

    opening_links = np.zeros(len(checked), dtype=np.int64)
    for k, (a, b, segment, what) in enumerate(checked):
        gx, gy, axis = crossed_links(segment, h)
        if a == b:
            lower, upper = link_cells(layout, a, gx, gy, axis)
            ok = (lower >= 0) & (upper >= 0)
            ok[ok] = neighbours[lower[ok], UP_SLOT[axis[ok]]] == upper[ok]
            switch[lower[ok], UP_SLOT[axis[ok]]] = k
            switch[upper[ok], DOWN_SLOT[axis[ok]]] = k
            opening_links[k] = int(ok.sum())
        else:
            g = min(height[a], height[b])
            lower_a, upper_a = link_cells(layout, a, gx, gy, axis)
            lower_b, upper_b = link_cells(layout, b, gx, gy, axis)
            for from_a, to_b, a_slot, b_slot in ((lower_a, upper_b, UP_SLOT[axis], DOWN_SLOT[axis]),
                                                 (upper_a, lower_b, DOWN_SLOT[axis], UP_SLOT[axis])):
                ok = (from_a >= 0) & (to_b >= 0)
                ok[ok] = free[from_a[ok]] & free[to_b[ok]]
                neighbours[from_a[ok], a_slot[ok]] = to_b[ok]
                neighbours[to_b[ok], b_slot[ok]] = from_a[ok]
                conductance[from_a[ok], a_slot[ok]] = g
                conductance[to_b[ok], b_slot[ok]] = g
                switch[from_a[ok], a_slot[ok]] = k
                switch[to_b[ok], b_slot[ok]] = k
                opening_links[k] += int(ok.sum())
        if opening_links[k] == 0:
            raise GasError(f"{what}: joins no pair of air cells across segment {segment.tolist()} "
                           f"at cell size {h} m; is it narrower than a cell, or not where its spaces meet?")

    outlet_links = np.zeros(len(checked_outlets), dtype=np.int64)
    for k, (s, segment, what) in enumerate(checked_outlets):
        gx, gy, axis = crossed_links(segment, h)
        lower, upper = link_cells(layout, s, gx, gy, axis)
        for inner, outer, slot in ((lower, upper, UP_SLOT[axis]), (upper, lower, DOWN_SLOT[axis])):
            ok = inner >= 0
            ok[ok] = free[inner[ok]] & (neighbours[inner[ok], slot[ok]] == -1)
            ok &= (outer < 0) | ~free[np.maximum(outer, 0)]
            neighbours[inner[ok], slot[ok]] = OUTSIDE
            conductance[inner[ok], slot[ok]] = height[s]
            switch[inner[ok], slot[ok]] = len(checked) + k
            outlet_links[k] += int(ok.sum())
        if outlet_links[k] == 0:
            raise GasError(f"{what}: no air cell faces the outside across segment {segment.tolist()} "
                           f"at cell size {h} m; is it narrower than a cell?")

    volume = np.where(free, h * h * height[space_of_cell], 0.0)
    rate = np.zeros(layout.n_cells)
    rate[free] = conductance[free].sum(axis=1) / volume[free]
    read_cell, near_boundary = _read_cells(layout, spaces, free)
    x, y = layout.centres()
    grid = GasGrid(
        layout=layout, height_m=height, polygons=tuple(s.polygon for s in spaces), free=free,
        volume_m3=volume, space_of_cell=space_of_cell, neighbours=neighbours,
        conductance_m=conductance, switch=switch, opening_links=opening_links,
        outlet_links=outlet_links, max_rate_per_m2=float(rate.max(initial=0.0)),
        read_cell=read_cell, near_boundary=near_boundary, x=x, y=y,
    )
    read_only(layout.first_gx, layout.first_gy, layout.nx, layout.ny, layout.offset, height, free,
               volume, space_of_cell, neighbours, conductance, switch, opening_links, outlet_links,
               read_cell, near_boundary, x, y)
    return grid


def _mask(value, size: int, what: str) -> np.ndarray:
    if value is None:
        return np.ones(size, dtype=np.bool_)
    mask = np.asarray(value)
    if mask.shape != (size,) or mask.dtype != np.bool_:
        raise GasError(f"{what} must be a bool array of shape ({size},), got {mask.dtype} {mask.shape}")
    return np.ascontiguousarray(mask)


def _non_negative(value, what: str) -> float:
    if not (isinstance(value, Real) and math.isfinite(value) and value >= 0):
        raise GasError(f"{what} must be a finite number ≥ 0, got {value!r}")
    return float(value)


@dataclass(eq=False)
class GasField:
    """Concentration of gas per cell of a :class:`GasGrid`, and its mass bookkeeping.

    concentration  [n_cells] mg/m³ (0 in cells that are not air)
    time_s         simulated time stepped so far (s)
    released_mg    mass put in by :meth:`release`
    ventilated_mg  mass removed by ventilation
    leaked_mg      mass that diffused out through open outlets

    released_mg = total_mass_mg + ventilated_mg + leaked_mg, up to round-off.
    """

    grid: GasGrid
    concentration: np.ndarray = field(init=False)
    time_s: float = 0.0
    released_mg: float = 0.0
    ventilated_mg: float = 0.0
    leaked_mg: float = 0.0

    def __post_init__(self) -> None:
        self.concentration = np.zeros(self.grid.n_cells)

    @property
    def total_mass_mg(self) -> float:
        """Gas now in the air of the venue (mg)."""
        return float(total_mass(self.concentration, self.grid.volume_m3))

    def mass_by_space(self) -> np.ndarray:
        """[n_spaces] gas now in each space (mg)."""
        return np.bincount(self.grid.space_of_cell, weights=self.concentration * self.grid.volume_m3,
                           minlength=self.grid.n_spaces)

    def release(self, space: int, x: float, y: float, mass_mg: float, *, radius_m: float = 0.0) -> None:
        """Add ``mass_mg`` of gas to the air at (x, y) in ``space``: into the cell there, or spread
        evenly (same concentration) over the air cells of that space whose centres lie within
        ``radius_m`` of the point (the cell there if none does). Raises :class:`GasError` if the
        point is outside the space."""
        grid = self.grid
        space = _check_index(space, grid.n_spaces, "release")
        mass_mg = _non_negative(mass_mg, "release mass_mg")
        radius_m = _non_negative(radius_m, "release radius_m")
        cell = int(grid.cells_at(space, x, y))
        if cell < 0:
            raise GasError(f"release: point ({x!r}, {y!r}) is not in the air of space {space}")
        cells = np.array([cell])
        if radius_m > 0:
            index, cx, cy = grid.layout.window(space, x - radius_m, y - radius_m, x + radius_m, y + radius_m)
            index = index[((cx - x) ** 2 + (cy - y) ** 2 <= radius_m * radius_m) & grid.free[index]]
            if index.size:
                cells = index
        volume = grid.volume_m3[cells]
        self.concentration[cells] += mass_mg / volume.sum()
        self.released_mg += mass_mg

    def step(self, dt_s: float, *, diffusivity_m2_s: float = DEFAULT_DIFFUSIVITY_M2_S,
             air_changes_per_h=0.0, open_links=None, open_outlets=None) -> None:
        """Advance the field by ``dt_s`` seconds.

        diffusivity_m2_s   turbulent diffusivity D (m²/s); indoor air 0.001–0.013, more with a
                           crowd stirring it
        air_changes_per_h  ventilation (1/h), a number or one per space
        open_links         [n_openings] bool, which openings carry air now (None: all)
        open_outlets       [n_outlets] bool, which outlets are open now (None: all)
        """
        grid = self.grid
        dt_s = _non_negative(dt_s, "dt_s")
        diffusivity = _non_negative(diffusivity_m2_s, "diffusivity_m2_s")
        ach = np.asarray(air_changes_per_h, dtype=float)
        if ach.ndim == 0:
            ach = np.full(grid.n_spaces, float(ach))
        if ach.shape != (grid.n_spaces,) or not np.all(np.isfinite(ach)) or np.any(ach < 0):
            raise GasError(f"air_changes_per_h must be a finite number ≥ 0 or one per space "
                           f"({grid.n_spaces}), got {air_changes_per_h!r}")
        is_open = np.concatenate([_mask(open_links, grid.n_openings, "open_links"),
                                  _mask(open_outlets, grid.n_outlets, "open_outlets")])
        if dt_s == 0.0:
            return
        n_sub = grid.substeps(dt_s, diffusivity)
        dt_sub = dt_s / n_sub
        rate = ach / 3600.0 * dt_sub
        keep = np.exp(-rate)
        lost = -np.expm1(-rate)
        leaked, ventilated = gas_step(self.concentration, grid.volume_m3, grid.neighbours,
                                      grid.conductance_m, grid.switch, is_open, grid.space_of_cell,
                                      diffusivity, dt_sub, n_sub, keep, lost)
        self.leaked_mg += leaked
        self.ventilated_mg += ventilated
        self.time_s += dt_s

    def concentration_at(self, space, x, y) -> np.ndarray:
        """Concentration (mg/m³) at points (x, y) of spaces ``space`` (arrays broadcast together):
        the value of the cell containing the point; a point in a rim cell that is not air (its
        centre lies outside the polygon) but inside the polygon reads the nearest air cell; 0
        outside the space's polygon."""
        cells = self.grid.cells_at(space, x, y)
        return np.where(cells >= 0, self.concentration[np.maximum(cells, 0)], 0.0)

    def snapshot(self) -> dict:
        """Copies for output: per air cell ``space``, ``x``, ``y`` (m, centre) and
        ``concentration_mg_m3``; and the scalars ``time_s``, ``total_mass_mg``, ``released_mg``,
        ``ventilated_mg``, ``leaked_mg``."""
        grid = self.grid
        air = grid.free
        return {
            "time_s": self.time_s,
            "space": grid.space_of_cell[air].copy(),
            "x": grid.x[air].copy(),
            "y": grid.y[air].copy(),
            "concentration_mg_m3": self.concentration[air].copy(),
            "total_mass_mg": self.total_mass_mg,
            "released_mg": self.released_mg,
            "ventilated_mg": self.ventilated_mg,
            "leaked_mg": self.leaked_mg,
        }
