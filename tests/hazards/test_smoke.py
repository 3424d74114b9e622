"""The fire-gas input layer: regions over time, file snapshots, overlap order, clean air."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aforo.hazards.smoke import CLEAN_AIR, SmokeLayer
from aforo.scenario.model import Smoke

SPACES = ("hall", "stair")
SQUARE = ((0, 0), (4, 0), (4, 4), (0, 4))


def sample(layer, time_s, points, space=0, inside=True):
    x = np.array([p[0] for p in points], float)
    y = np.array([p[1] for p in points], float)
    n = len(points)
    return layer.sample(time_s, np.full(n, space), x, y, np.full(n, inside))


def test_nothing_given_is_clean_air():
    air = sample(SmokeLayer((), SPACES), 10.0, [(1, 1)])
    assert {k: float(v[0]) for k, v in air.items()} == CLEAN_AIR


def test_region_values_are_linear_in_time_and_held_outside_the_times():
    smoke = Smoke("s", "hall", times=(10.0, 20.0), co=(0.0, 0.002), o2=(0.17,), extinction=(1.0, 3.0))
    layer = SmokeLayer((smoke,), SPACES)
    for t, co_ppm, k in ((0.0, 0.0, 1.0), (15.0, 1000.0, 2.0), (30.0, 2000.0, 3.0)):
        air = sample(layer, t, [(1, 1)])
        assert air["co_ppm"][0] == pytest.approx(co_ppm)
        assert air["extinction_per_m"][0] == pytest.approx(k)
        assert air["o2_percent"][0] == pytest.approx(17.0)
        assert air["co2_percent"][0] == 0.0


def test_polygon_space_and_presence_limit_a_region():
    layer = SmokeLayer((Smoke("s", "hall", polygon=SQUARE, co2=(0.03,)),), SPACES)
    air = sample(layer, 0.0, [(1, 1), (6, 1)])
    assert list(air["co2_percent"]) == [3.0, 0.0]
    assert sample(layer, 0.0, [(1, 1)], space=1)["co2_percent"][0] == 0.0  # another space
    assert sample(layer, 0.0, [(1, 1)], inside=False)["co2_percent"][0] == 0.0  # not in the venue


def test_the_later_entry_decides_all_the_air_where_entries_overlap():
    layer = SmokeLayer((Smoke("whole", "hall", co=(0.001,), co2=(0.02,)),
                        Smoke("test", "hall", polygon=SQUARE, co=(0.005,))), SPACES)
    air = sample(layer, 0.0, [(1, 1), (6, 1)])
    assert list(air["co_ppm"]) == pytest.approx([5000.0, 1000.0])
    assert list(air["co2_percent"]) == pytest.approx([0.0, 2.0])  # the later entry gives no CO2: clean


def test_irritants_are_converted_from_per_second_to_per_minute():
    layer = SmokeLayer((Smoke("s", "hall", irritants=(0.01,)),), SPACES)
    assert sample(layer, 0.0, [(1, 1)])["irritant_fld_per_min"][0] == pytest.approx(0.6)


def write_snapshots(path, times, values, cell=0.5, nx=4, ny=2, space="hall"):
    rows = {"time_s": [], "space": [], "x_m": [], "y_m": [], "co_ppm": [], "extinction_per_m": []}
    for t, v in zip(times, values):
        for iy in range(ny):
            for ix in range(nx):
                rows["time_s"].append(t)
                rows["space"].append(space)
                rows["x_m"].append(cell * (ix + 0.5))
                rows["y_m"].append(cell * (iy + 0.5))
                rows["co_ppm"].append(v * (ix + 1))
                rows["extinction_per_m"].append(0.1 * v)
    pq.write_table(pa.table(rows), path)


def test_snapshots_are_read_at_the_agents_cell_and_linear_in_time(tmp_path):
    path = tmp_path / "s.parquet"
    write_snapshots(path, [0.0, 10.0], [0.0, 100.0])
    layer = SmokeLayer((Smoke("fds", file=str(path)),), SPACES)
    # cell ix = 2 (x in [1.0, 1.5)) holds 3·v; at 5 s v = 50
    air = sample(layer, 5.0, [(1.3, 0.2), (0.1, 0.9), (3.0, 0.2)])
    assert air["co_ppm"][0] == pytest.approx(150.0)
    assert air["co_ppm"][1] == pytest.approx(50.0)
    assert air["co_ppm"][2] == 0.0  # beyond the grid: clean air
    assert air["extinction_per_m"][0] == pytest.approx(5.0)
    assert sample(layer, 50.0, [(1.3, 0.2)])["co_ppm"][0] == pytest.approx(300.0)  # held after the last


def test_a_region_laid_over_a_file_wins_where_it_lies(tmp_path):
    path = tmp_path / "s.parquet"
    write_snapshots(path, [0.0], [100.0])
    layer = SmokeLayer((Smoke("fds", file=str(path)),
                        Smoke("patch", "hall", polygon=((0, 0), (0.5, 0), (0.5, 1), (0, 1)), co=(0.0,))), SPACES)
    air = sample(layer, 0.0, [(0.2, 0.2), (1.3, 0.2)])
    assert list(air["co_ppm"]) == pytest.approx([0.0, 300.0])
