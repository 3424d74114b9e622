"""The irritant-gas field: conservation, mixing, ventilation, openings, lookup, positivity, and
the kernel against its slow twin (tests/hazards/naive_gas.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from naive_gas import gas_step as naive_gas_step
from shapely.geometry import Point, box

from aforo.hazards import GasError, GasField, GasOpening, GasOutlet, GasSpace, build_gas_grid
from aforo.kernels.gas import gas_step

H = 0.25


def stair_venue(cell_size: float = H):
    """Upper room (space 0) 10 m × 8 m, 3 m high, split by a 0.25 m interior wall at x 5.0–5.25 with
    a 1 m doorway at y 3–4 (opening 2, a door inside space 0); a 2 m × 4 m stair (space 1, x 1–3,
    rise 3 m) below its south edge (opening 0); a lower room (space 2, 2.8 m high) 6 m × 5 m below
    the stair's foot (opening 1). An exit to the outdoors on the lower room's south wall
    (outlet 0)."""
    upper = box(0, 0, 10, 8).difference(box(5.0, 0, 5.25, 3)).difference(box(5.0, 4, 5.25, 8))
    spaces = [
        GasSpace(upper),
        GasSpace.for_stair(box(1, -4, 3, 0), rise_m=3.0),
        GasSpace(box(-1, -9, 5, -4), height_m=2.8),
    ]
    openings = [
        GasOpening(0, 1, ((1.0, 0.0), (3.0, 0.0))),
        GasOpening(1, 2, ((1.0, -4.0), (3.0, -4.0))),
        GasOpening(0, 0, ((5.1, 3.0), (5.1, 4.0))),
    ]
    outlets = [GasOutlet(2, ((1.0, -9.0), (3.0, -9.0)))]
    return spaces, openings, outlets, build_gas_grid(spaces=spaces, openings=openings, outlets=outlets,
                                                     cell_size=cell_size)


@pytest.fixture(scope="module")
def venue():
    return stair_venue()


def random_point(rng, polygon):
    x0, y0, x1, y1 = polygon.bounds
    while True:
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if polygon.contains(Point(x, y)):
            return x, y


# ---------------------------------------------------------------------------------------------
# the grid


def test_grid_volumes_links_and_heights(venue):
    spaces, openings, outlets, grid = venue
    assert grid.cell_size == H
    assert spaces[1].height_m == pytest.approx(4.5)  # rise/2 + 3 m ceiling
    # rasterised air volume: every wall lies on lattice lines, so it is exact
    volume = grid.space_volume_m3()
    assert volume[1] == pytest.approx(8 * 4.5)
    assert volume[2] == pytest.approx(30 * 2.8)
    assert volume[0] == pytest.approx((80 - 0.25 * 7) * 3.0)
    # links are symmetric, with symmetric conductance and switch
    n = grid.neighbours
    for slot, back in ((0, 1), (1, 0), (2, 3), (3, 2)):
        cells = np.flatnonzero(n[:, slot] >= 0)
        assert np.all(n[n[cells, slot], back] == cells)
        assert np.all(grid.conductance_m[n[cells, slot], back] == grid.conductance_m[cells, slot])
        assert np.all(grid.switch[n[cells, slot], back] == grid.switch[cells, slot])
    # the stair edges carry 8 links each (2 m / 0.25 m) with face height min(3, 4.5) = 3 and
    # min(4.5, 2.8) = 2.8; the doorway 4 links; the exit 8 faces
    assert grid.opening_links.tolist() == [8, 8, 4]
    assert grid.outlet_links.tolist() == [8]
    assert np.all(grid.conductance_m[grid.switch == 0] == 3.0)
    assert np.all(grid.conductance_m[grid.switch == 1] == 2.8)
    assert np.all(grid.conductance_m[grid.switch == 3] == 2.8)
    # no link crosses the interior wall except through the doorway
    x, y = grid.x, grid.y
    west = (grid.space_of_cell == 0) & grid.free & (x < 5.0)
    east_of_it = n[west, 1]
    east_of_it = east_of_it[east_of_it >= 0]
    crossing = east_of_it[x[east_of_it] > 5.0]
    assert crossing.size == 4 and np.all((y[crossing] > 3.0) & (y[crossing] < 4.0))
    assert grid.max_rate_per_m2 == pytest.approx(4 / H**2)
    assert grid.substeps(1.0, 0.01) == math.ceil(8 * 0.01 * 1.0 / H**2)


def test_bad_input_is_refused():
    room = GasSpace(box(0, 0, 4, 4))
    with pytest.raises(GasError, match="boundary"):
        build_gas_grid(spaces=[room, GasSpace(box(4, 0, 8, 4))],
                       openings=[GasOpening(0, 1, ((2.0, 0.5), (2.0, 1.5)))])
    with pytest.raises(GasError, match="narrower than a cell"):
        build_gas_grid(spaces=[room, GasSpace(box(4, 0, 8, 4))],
                       openings=[GasOpening(0, 1, ((4.0, 1.01), (4.0, 1.05)))])
    with pytest.raises(GasError, match="cell_size"):
        build_gas_grid(spaces=[room], cell_size=0.5)
    with pytest.raises(GasError, match="height_m"):
        GasSpace(box(0, 0, 1, 1), height_m=0.0)
    field = GasField(build_gas_grid(spaces=[room]))
    with pytest.raises(GasError, match="not in the air"):
        field.release(0, 5.0, 5.0, 1.0)
    with pytest.raises(GasError, match="open_links"):
        field.step(1.0, open_links=np.ones(3, dtype=bool))
    with pytest.raises(GasError, match="dt_s"):
        field.step(-1.0)
    with pytest.raises(GasError, match="space indices"):
        field.concentration_at(np.array([1]), np.array([1.0]), np.array([1.0]))


# ---------------------------------------------------------------------------------------------
# (1) conservation


def test_mass_conserved_over_10000_random_steps(venue):
    spaces, _, _, grid = venue
    rng = np.random.default_rng(7)
    field = GasField(grid)
    released = 0.0
    for step in range(10_000):
        if rng.random() < 0.05:
            space = int(rng.integers(3))
            x, y = random_point(rng, spaces[space].polygon)
            mass = float(rng.uniform(0.0, 5000.0))
            field.release(space, x, y, mass, radius_m=float(rng.choice([0.0, 0.6])))
            released += mass
        field.step(float(rng.uniform(0.01, 1.5)), diffusivity_m2_s=float(rng.uniform(0.001, 0.05)),
                   open_links=rng.random(3) < 0.7, open_outlets=np.zeros(1, dtype=bool))
        if step % 1000 == 999:
            assert abs(field.total_mass_mg - released) <= 1e-9 * released
    assert field.released_mg == pytest.approx(released, rel=1e-12)
    assert abs(field.total_mass_mg - released) <= 1e-9 * released
    assert field.leaked_mg == 0.0 and field.ventilated_mg == 0.0
    assert np.all(field.mass_by_space() > 0.0)  # the gas went everywhere: the test moved mass
    assert field.concentration.min() >= 0.0


# ---------------------------------------------------------------------------------------------
# (2) mixing in a sealed room


def test_sealed_room_mixes_to_mass_over_volume_at_the_diffusive_rate():
    """10 m × 10 m × 3 m room, 3000 mg released in a corner cell, D = 0.5 m²/s. The slowest
    mode decays with τ = L²/(π² D) = 20.3 s (on the lattice: h²/(4D sin²(πh/2L)), 0.02 % longer);
    at the corner the two slowest modes add to a relative deviation 4·exp(−t/τ), so the room is
    mixed to 2 % after τ·ln(200) ≈ 107 s. (At D = 0.01 m²/s, τ = 17 min and 2 % takes 1.5 h.)"""
    grid = build_gas_grid(spaces=[GasSpace(box(0, 0, 10, 10), height_m=3.0)])
    assert grid.space_volume_m3()[0] == pytest.approx(300.0)
    field = GasField(grid)
    field.release(0, 0.1, 0.1, 3000.0)
    well_mixed = 3000.0 / 300.0
    d, L = 0.5, 10.0
    tau = H**2 / (4 * d * math.sin(math.pi * H / (2 * L)) ** 2)
    assert tau == pytest.approx(L**2 / (math.pi**2 * d), rel=1e-3)
    air = grid.free

    def deviation():
        return np.abs(field.concentration[air] - well_mixed).max() / well_mixed

    deviations = {}
    for t in range(10, 131, 10):
        field.step(10.0, diffusivity_m2_s=d)
        deviations[t] = deviation()
    assert deviations[60] > 0.1  # not yet mixed after 3τ
    assert deviations[120] < 0.02  # mixed within 2 % after 6τ
    for t in (80, 100, 120):
        assert deviations[t] == pytest.approx(4 * math.exp(-t / tau), rel=0.02)
    assert field.total_mass_mg == pytest.approx(3000.0, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# (3) ventilation and outlets


def test_ventilation_decays_mass_exponentially(venue):
    spaces, _, _, grid = venue
    rng = np.random.default_rng(3)
    field = GasField(grid)
    for space in range(3):
        x, y = random_point(rng, spaces[space].polygon)
        field.release(space, x, y, 1000.0)
    ach = 6.0
    t = 0.0
    for _ in range(200):
        dt = float(rng.uniform(0.1, 5.0))
        field.step(dt, diffusivity_m2_s=0.02, air_changes_per_h=ach, open_outlets=np.zeros(1, dtype=bool))
        t += dt
        expected = 3000.0 * math.exp(-ach * t / 3600.0)
        assert abs(field.total_mass_mg - expected) <= 1e-6 * expected
    assert t > 400  # decayed to well under half: a wrong rate would show
    assert field.ventilated_mg + field.total_mass_mg == pytest.approx(3000.0, rel=1e-12)


def test_ventilation_per_space_with_closed_openings(venue):
    spaces, _, _, grid = venue
    field = GasField(grid)
    field.release(0, 2.0, 2.0, 100.0)
    field.release(1, 2.0, -2.0, 100.0)
    field.release(2, 2.0, -6.0, 100.0)
    ach = np.array([0.0, 3.0, 12.0])
    shut = np.array([False, False, True])
    for _ in range(60):
        field.step(10.0, air_changes_per_h=ach, open_links=shut, open_outlets=np.zeros(1, dtype=bool))
    expected = 100.0 * np.exp(-ach * 600.0 / 3600.0)
    assert field.mass_by_space() == pytest.approx(expected, rel=1e-9)


def test_outlet_leaks_by_diffusion_and_books_it(venue):
    spaces, _, _, grid = venue
    field = GasField(grid)
    field.release(2, 2.0, -8.875, 500.0)  # the cell against the exit
    field.step(1.0, diffusivity_m2_s=0.01)  # ⌈8·D·dt/h²⌉ = ⌈1.28⌉ = 2 sub-steps
    # first sub-step: dt_sub·D·g·C out of the face, g = 2.8 m, C = 500 / (h² · 2.8); the second
    # loses less, the cell having emptied a little
    assert grid.substeps(1.0, 0.01) == 2
    dt_sub = 0.5
    first = dt_sub * 0.01 * 2.8 * 500.0 / (H * H * 2.8)
    assert field.leaked_mg > first
    assert field.leaked_mg < 2 * first
    before = field.leaked_mg
    field.step(100.0, diffusivity_m2_s=0.01, open_outlets=np.zeros(1, dtype=bool))
    assert field.leaked_mg == before  # a shut exit leaks nothing
    field.step(100.0, diffusivity_m2_s=0.01, air_changes_per_h=1.0)
    assert field.leaked_mg > before
    assert field.total_mass_mg + field.leaked_mg + field.ventilated_mg == pytest.approx(500.0, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# (4) kernel against its twin


def random_geometry(seed: int):
    """A room with an obstacle, a corridor on its north side joined by an opening, random heights
    and cell sizes, coordinates off the lattice, an exit on the room's south wall."""
    rng = np.random.default_rng(seed)
    h = float(rng.choice([0.1, 0.2, 0.25]))
    w, d = np.round(rng.uniform(1.5, 3.5, size=2), 2)
    room = box(0.03, 0.07, 0.03 + w, 0.07 + d)
    ox, oy = 0.03 + w * rng.uniform(0.2, 0.5), 0.07 + d * rng.uniform(0.2, 0.5)
    room = room.difference(box(ox, oy, ox + 0.4, oy + 0.3))
    cx0 = 0.03 + w * rng.uniform(0.0, 0.4)
    cx1 = cx0 + rng.uniform(0.8, 2.5)
    corridor = box(cx0, 0.07 + d, cx1, 0.07 + d + rng.uniform(0.6, 1.5))
    spaces = [GasSpace(room, height_m=float(rng.uniform(2.0, 5.0))),
              GasSpace(corridor, height_m=float(rng.uniform(2.0, 5.0)))]
    top = 0.07 + d
    openings = [GasOpening(0, 1, ((cx0, top), (min(cx1, 0.03 + w), top)))]
    outlets = [GasOutlet(0, ((0.3, 0.07), (1.2, 0.07)))]
    return rng, build_gas_grid(spaces=spaces, openings=openings, outlets=outlets, cell_size=h)


@pytest.mark.parametrize("seed", range(12))
def test_kernel_matches_twin(seed):
    rng, grid = random_geometry(seed)
    conc = np.where(grid.free, rng.exponential(10.0, grid.n_cells), 0.0)
    conc[grid.free & (rng.random(grid.n_cells) < 0.5)] = 0.0  # sharp fronts
    is_open = rng.random(grid.n_openings + grid.n_outlets) < 0.6
    d = float(rng.uniform(0.001, 0.5))
    n_sub = int(rng.integers(1, 5))
    dt_sub = 0.5 / (d * grid.max_rate_per_m2) * float(rng.uniform(0.1, 1.0))
    ach = rng.uniform(0.0, 30.0, size=grid.n_spaces)
    keep, lost = np.exp(-ach / 3600 * dt_sub), -np.expm1(-ach / 3600 * dt_sub)
    args = (grid.volume_m3, grid.neighbours, grid.conductance_m, grid.switch, is_open,
            grid.space_of_cell, d, dt_sub, n_sub, keep, lost)
    fast = conc.copy()
    leaked, ventilated = gas_step(fast, *args)
    slow, slow_leaked, slow_ventilated = naive_gas_step(conc, *args)
    scale = conc.max()
    assert np.allclose(fast, slow, rtol=1e-12, atol=1e-12 * scale)
    assert leaked == pytest.approx(slow_leaked, rel=1e-10, abs=1e-12 * scale)
    assert ventilated == pytest.approx(slow_ventilated, rel=1e-10, abs=1e-12 * scale)
    assert not np.allclose(fast, conc)  # something moved
    mass_before = float(np.sum(conc * grid.volume_m3))
    assert float(np.sum(fast * grid.volume_m3)) + leaked + ventilated == pytest.approx(mass_before, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# (5) closed openings


def test_closed_opening_blocks_all_transfer(venue):
    spaces, _, _, grid = venue
    field = GasField(grid)
    field.release(0, 2.0, 6.0, 1000.0)  # west of the interior wall
    closed_stair = np.array([False, True, True])
    for _ in range(100):
        field.step(6.0, diffusivity_m2_s=0.1, open_links=closed_stair)
    by_space = field.mass_by_space()
    assert by_space[1] == 0.0 and by_space[2] == 0.0
    assert by_space[0] == pytest.approx(1000.0, rel=1e-12)
    east = (grid.space_of_cell == 0) & grid.free & (grid.x > 5.25)
    assert field.concentration[east].min() > 0.0  # the open doorway let it through
    field.step(60.0, diffusivity_m2_s=0.1)  # all open
    assert np.all(field.mass_by_space() > 0.0)


def test_closed_interior_door_blocks_the_far_room(venue):
    spaces, _, _, grid = venue
    field = GasField(grid)
    field.release(0, 2.0, 6.0, 1000.0)
    closed_door = np.array([True, True, False])
    for _ in range(100):
        field.step(6.0, diffusivity_m2_s=0.1, open_links=closed_door)
    east = (grid.space_of_cell == 0) & grid.free & (grid.x > 5.25)
    assert np.all(field.concentration[east] == 0.0)
    assert field.mass_by_space()[1] > 0.0


def test_flux_between_spaces_goes_through_the_lower_face():
    """A 3 m room beside a 6 m room: the first sub-step moves D·dt·Σ min(3, 6)·C_A."""
    a, b = GasSpace(box(0, 0, 2, 2), height_m=3.0), GasSpace(box(2, 0, 4, 2), height_m=6.0)
    grid = build_gas_grid(spaces=[a, b], openings=[GasOpening(0, 1, ((2.0, 0.0), (2.0, 2.0)))])
    field = GasField(grid)
    field.concentration[grid.free & (grid.space_of_cell == 0)] = 10.0
    dt = 0.1
    assert grid.substeps(dt, 0.01) == 1
    field.step(dt, diffusivity_m2_s=0.01)
    assert field.mass_by_space()[1] == pytest.approx(0.01 * dt * 3.0 * 10.0 * 8, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# (6) lookup


def test_concentration_at_reads_the_containing_cell(venue):
    spaces, _, _, grid = venue
    rng = np.random.default_rng(11)
    field = GasField(grid)
    field.concentration[grid.free] = rng.uniform(1.0, 2.0, grid.free.sum())
    for s in range(3):
        n = 500
        pts = np.array([random_point(rng, spaces[s].polygon) for _ in range(n)])
        got = field.concentration_at(np.full(n, s), pts[:, 0], pts[:, 1])
        gx, gy = np.floor(pts[:, 0] / H).astype(int), np.floor(pts[:, 1] / H).astype(int)
        cell = grid.layout.cell_index(s, gx, gy)
        assert np.all(grid.free[cell])  # every wall of this venue lies on lattice lines
        assert np.array_equal(got, field.concentration[cell])
    # outside each space, 0: beyond the bounds, inside the interior wall, in another space's plan
    outside_upper = field.concentration_at(0, np.array([-1.0, 5.1, 5.1, 5.0]), np.array([4.0, 1.0, 6.0, -2.0]))
    assert np.all(outside_upper == 0)
    assert np.all(field.concentration_at(2, np.array([5.0, 6.0, np.nan]), np.array([-2.0, -6.0, 1.0])) == 0)
    # the same place read as the stair and as the upper room: two different cells
    assert field.concentration_at(1, 2.0, -0.1) != field.concentration_at(0, 2.0, 0.1)
    # shapes broadcast and are kept
    assert field.concentration_at(0, np.full((2, 3), 1.0), 1.0).shape == (2, 3)


def test_concentration_at_off_lattice_walls_is_zero_outside_and_rim_reads_nearest_air():
    diamond = shapely.Polygon([(5, 0.3), (9.7, 5), (5, 9.7), (0.3, 5)])
    grid = build_gas_grid(spaces=[GasSpace(diamond)], cell_size=0.2)
    field = GasField(grid)
    rng = np.random.default_rng(5)
    field.concentration[grid.free] = rng.uniform(1.0, 2.0, grid.free.sum())
    x, y = rng.uniform(0, 10, 20000), rng.uniform(0, 10, 20000)
    got = field.concentration_at(np.zeros(x.size, dtype=np.int64), x, y)
    inside = shapely.intersects_xy(diamond, x, y)
    assert np.all(got[~inside] == 0.0)
    assert np.all(got[inside] >= 1.0)
    cell = grid.layout.cell_index(0, np.floor(x / 0.2).astype(int), np.floor(y / 0.2).astype(int))
    own = inside & grid.free[cell]
    assert np.array_equal(got[own], field.concentration[cell[own]])
    rim = inside & ~grid.free[cell]
    assert rim.sum() > 50  # the case was exercised
    # a rim point reads a free cell touching its own
    read = grid.read_cell[cell[rim]]
    assert np.all(grid.free[read])
    assert np.all(np.abs(grid.x[read] - grid.x[cell[rim]]) <= 0.2 + 1e-9)
    assert np.all(np.abs(grid.y[read] - grid.y[cell[rim]]) <= 0.2 + 1e-9)
    assert np.array_equal(got[rim], field.concentration[read])


# ---------------------------------------------------------------------------------------------
# (7) positivity


@pytest.mark.parametrize("dt", [1e-3, 0.1, 1.0, 10.0, 100.0])
@pytest.mark.parametrize("diffusivity", [0.001, 0.01, 0.5])
def test_never_negative_never_overshoots(venue, dt, diffusivity):
    spaces, _, _, grid = venue
    rng = np.random.default_rng(int(dt * 1000) + int(diffusivity * 1000))
    field = GasField(grid)
    for _ in range(5):  # point releases: the sharpest fronts there are
        s = int(rng.integers(3))
        field.release(s, *random_point(rng, spaces[s].polygon), 1000.0)
    peak = field.concentration.max()
    for _ in range(3):
        field.step(dt, diffusivity_m2_s=diffusivity, air_changes_per_h=2.0, open_links=rng.random(3) < 0.5)
        assert field.concentration.min() >= 0.0
        assert field.concentration.max() <= peak
        peak = field.concentration.max()
    assert field.total_mass_mg + field.ventilated_mg + field.leaked_mg == pytest.approx(5000.0, rel=1e-12)


def test_one_unsplit_step_would_go_negative(venue):
    """Without sub-stepping, a forward-Euler step of 10 s at D = 0.01 m²/s (four times the limit)
    turns a point release negative: what the sub-stepping prevents."""
    _, _, _, grid = venue
    field = GasField(grid)
    field.release(0, 2.0, 2.0, 1000.0)
    conc = field.concentration.copy()
    ones = np.ones(grid.n_spaces)
    gas_step(conc, grid.volume_m3, grid.neighbours, grid.conductance_m, grid.switch,
             np.ones(grid.n_openings + grid.n_outlets, dtype=bool), grid.space_of_cell, 0.01, 10.0, 1,
             ones, ones * 0.0)
    assert conc.min() < 0.0
    field.step(10.0, diffusivity_m2_s=0.01)
    assert field.concentration.min() >= 0.0


def test_snapshot_copies_air_cells(venue):
    _, _, _, grid = venue
    field = GasField(grid)
    field.release(2, 2.0, -6.0, 10.0, radius_m=1.0)
    snap = field.snapshot()
    assert snap["concentration_mg_m3"].size == grid.free.sum()
    assert np.sum(snap["concentration_mg_m3"] * grid.volume_m3[grid.free]) == pytest.approx(10.0)
    # spread evenly over the air cells whose centres lie within 1 m
    inside = (snap["space"] == 2) & ((snap["x"] - 2.0) ** 2 + (snap["y"] + 6.0) ** 2 <= 1.0)
    assert np.allclose(snap["concentration_mg_m3"][inside], 10.0 / (inside.sum() * H * H * 2.8))
    assert np.all(snap["concentration_mg_m3"][~inside] == 0.0)
    snap["concentration_mg_m3"][:] = 99.0
    assert field.total_mass_mg == pytest.approx(10.0)
