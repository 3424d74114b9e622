"""The serial force pass's pair list (kernels/pair_list.py): kept while it holds, the same bits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aforo.kernels.cells import build_agent_cells
from aforo.kernels.constraints import GUARD_DRIFT_M, enforce_walls
from aforo.kernels.pair_list import BACK_OFF_STEPS, MOST_DRIFT_M, SKIN_M, new_pair_cache, pair_cache_holds
from aforo.kernels.social_force import (
    STATUS_WALL_PUSHED,
    STATUS_WALL_REVERTED,
)
from aforo.kernels.smooth_pass import smooth_forces, smooth_forces_pairwise
from test_social_force import CELL_M, SMOOTH_OUTPUTS, STRIPES, _smooth_inputs


def _with_positions(inputs, pos_x, pos_y, cache):
    """The force pass's arguments with the agents moved to (pos_x, pos_y), cells rebuilt."""
    active, n_cx, n_cy = inputs[8], inputs[13], inputs[14]
    cells = build_agent_cells(pos_x, pos_y, active, -CELL_M, -CELL_M, CELL_M, n_cx, n_cy)
    return (pos_x, pos_y) + inputs[2:10] + cells + inputs[13:-1] + (cache,)


def _cell(coordinate):
    return np.floor((coordinate + CELL_M) / CELL_M)


def _outputs(n):
    _, outputs = _smooth_inputs(0, n=n)
    return outputs


def _holds(args):
    """Whether the cache in ``args`` holds for these cell lists (what the pass will decide)."""
    cache = args[-1]
    pos_x, pos_y, space, cell_agents, agent_cell = args[0], args[1], args[6], args[11], args[12]
    return pair_cache_holds(cell_agents, agent_cell, pos_x[cell_agents], pos_y[cell_agents], space[cell_agents],
                            cache)


def _same(args, outputs):
    """The pass with this (possibly reused) cache gives the parallel kernel's bits."""
    expected = _outputs(args[0].size)
    smooth_forces(*args, *expected, STRIPES)
    for name, got, want in zip(SMOOTH_OUTPUTS, outputs, expected):
        np.testing.assert_array_equal(got, want, err_msg=name)


def test_a_list_is_kept_while_nobody_moves_far_and_gives_the_same_bits():
    inputs, _ = _smooth_inputs(5, n=200)
    n = inputs[0].size
    cache = new_pair_cache(n)
    rng = np.random.default_rng(1)
    x, y = inputs[0].copy(), inputs[1].copy()
    reused = 0
    for _ in range(12):
        step = rng.uniform(0, 0.3 * MOST_DRIFT_M, n)  # small moves: the list should last a few rounds
        angle = rng.uniform(0, 2 * np.pi, n)
        new_x, new_y = x + step * np.cos(angle), y + step * np.sin(angle)
        same_cell = (_cell(new_x) == _cell(x)) & (_cell(new_y) == _cell(y))  # within their cells
        x, y = np.where(same_cell, new_x, x), np.where(same_cell, new_y, y)
        args = _with_positions(inputs, x.copy(), y.copy(), cache)
        reused += _holds(args)
        outputs = _outputs(n)
        smooth_forces_pairwise(*args, *outputs, STRIPES)
        _same(args, outputs)
        assert cache[6][0] == args[11].size  # kept for the next pass
        assert cache[6][1] == 1  # with each agent's walls
    assert reused >= 3, "the list was made again every time"


def test_moving_past_the_drift_or_changing_cell_makes_the_list_again():
    inputs, _ = _smooth_inputs(6, n=150)
    n = inputs[0].size
    cache = new_pair_cache(n)
    args = _with_positions(inputs, inputs[0].copy(), inputs[1].copy(), cache)
    smooth_forces_pairwise(*args, *_outputs(n), STRIPES)
    assert _holds(args)
    active = np.flatnonzero(inputs[8])
    # one agent a little beyond the drift, within its cell or not
    x = inputs[0].copy()
    x[active[0]] += 1.01 * MOST_DRIFT_M
    moved = _with_positions(inputs, x, inputs[1].copy(), cache)
    assert not _holds(moved)
    outputs = _outputs(n)
    smooth_forces_pairwise(*moved, *outputs, STRIPES)
    _same(moved, outputs)
    # an agent into the next cell by a millimetre
    x = moved[0].copy()
    i = active[3]
    edge = -CELL_M + CELL_M * (np.floor((x[i] + CELL_M) / CELL_M) + 1)
    x[i] = edge + 1e-3
    across = _with_positions(inputs, x, moved[1].copy(), cache)
    if abs(x[i] - moved[0][i]) <= MOST_DRIFT_M:
        assert not _holds(across)  # only the cell changed
    outputs = _outputs(n)
    smooth_forces_pairwise(*across, *outputs, STRIPES)
    _same(across, outputs)


def test_a_list_too_long_for_the_cache_is_made_in_chunks():
    """A cache with room for 7 agents and 60 pairs: every pass lists in chunks, same bits."""
    inputs, _ = _smooth_inputs(7, n=300)
    n = inputs[0].size
    big = new_pair_cache(n)
    slots = (np.zeros(7, np.int64), np.zeros(7, np.int64), np.zeros(7), np.zeros(7), np.zeros(8, np.int64))
    small = slots + (np.zeros(max(n, 60), np.int64), np.array([-1, 0, 0, 0]), big[7], np.zeros(8, np.int64),
                     np.zeros(56, np.int64), np.zeros(7, np.int64))
    args = _with_positions(inputs, inputs[0].copy(), inputs[1].copy(), small)
    outputs = _outputs(n)
    smooth_forces_pairwise(*args, *outputs, STRIPES)
    _same(args, outputs)
    assert small[6][0] == -1  # too many agents to keep


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), drift=st.floats(0.0, 3.0), rounds=st.integers(2, 5), within_cells=st.booleans(),
       joined=st.booleans())
def test_any_sequence_of_moves_gives_the_parallel_kernels_bits(seed, drift, rounds, within_cells, joined):
    """Moves up to three times the drift limit (lists kept, or made again), any crowd; with
    ``within_cells`` no agent leaves its cell, so only the drift decides; the crowd's two
    spaces joined or not (pairs across spaces never joined are left out of the list)."""
    inputs, _ = _smooth_inputs(seed, n=120)
    if not joined:
        inputs = inputs[:19] + (np.eye(2, dtype=bool),) + inputs[20:]
    n = inputs[0].size
    cache = new_pair_cache(n)
    rng = np.random.default_rng(seed)
    x, y = inputs[0].copy(), inputs[1].copy()
    for _ in range(rounds):
        step = rng.uniform(0, drift * MOST_DRIFT_M, n) * (rng.random(n) < 0.3)
        angle = rng.uniform(0, 2 * np.pi, n)
        new_x, new_y = x + step * np.cos(angle), y + step * np.sin(angle)
        keep = (_cell(new_x) == _cell(x)) & (_cell(new_y) == _cell(y)) if within_cells else np.ones(n, bool)
        x, y = np.where(keep, new_x, x), np.where(keep, new_y, y)
        args = _with_positions(inputs, x.copy(), y.copy(), cache)
        outputs = _outputs(n)
        smooth_forces_pairwise(*args, *outputs, STRIPES)
        _same(args, outputs)


def test_the_skin_leaves_room_for_rounding():
    assert 2 * MOST_DRIFT_M < SKIN_M


def test_a_cache_for_fewer_agents_is_refused():
    inputs, outputs = _smooth_inputs(8, n=100)
    args = inputs[:-1] + (new_pair_cache(10),)
    args = args[:-1] + (tuple(a if k != 5 else np.zeros(10, np.int64) for k, a in enumerate(args[-1])),)
    with pytest.raises(ValueError, match="fewer agents"):
        smooth_forces_pairwise(*args, *outputs, STRIPES)


def test_walls_that_do_not_fit_are_read_from_the_cells():
    """No room for the walls near each agent: the pass reads the cells' walls, same bits."""
    inputs, _ = _smooth_inputs(9, n=200)
    n = inputs[0].size
    cache = new_pair_cache(n)
    cache = cache[:9] + (np.zeros(3, np.int64),) + cache[10:]
    args = _with_positions(inputs, inputs[0].copy(), inputs[1].copy(), cache)
    outputs = _outputs(n)
    smooth_forces_pairwise(*args, *outputs, STRIPES)
    _same(args, outputs)
    assert cache[6][0] == args[11].size and cache[6][1] == 0
    assert (outputs[5] > 0).any()  # some agents touch walls


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_wall_guard_reads_the_kept_walls_with_the_same_outcome(seed):
    """After a serial force pass has listed each agent's walls, the guard reads them for agents
    that moved less than GUARD_DRIFT_M (others: their cell's walls). Kicks of up to 15 cm, some
    through the inner wall: every output equal to the guard reading the cells only."""
    inputs, _ = _smooth_inputs(seed, n=300)
    n = inputs[0].size
    cache = new_pair_cache(n)
    args = _with_positions(inputs, inputs[0].copy(), inputs[1].copy(), cache)
    smooth_forces_pairwise(*args, *_outputs(n), STRIPES)
    assert cache[6][0] >= 0 and cache[6][1] == 1
    pos_x, pos_y, vel_x, vel_y, radius, space, active, agent_cell = (args[0], args[1], args[2], args[3], args[4],
                                                                      args[6], args[8], args[12])
    walls, wall_space, wall_start, wall_ids = args[15:19]
    rng = np.random.default_rng(seed)
    kick = rng.uniform(0, 0.15, n)
    angle = rng.uniform(0, 2 * np.pi, n)
    results = []
    for guard_cache in (cache, new_pair_cache(n)):
        x, y = pos_x + kick * np.cos(angle), pos_y + kick * np.sin(angle)
        vx, vy, status = vel_x.copy(), vel_y.copy(), np.zeros(n, np.int64)
        enforce_walls(pos_x.copy(), pos_y.copy(), x, y, vx, vy, radius, space, active, agent_cell, walls, wall_space,
                      wall_start, wall_ids, guard_cache, 0.5, status)
        results.append((x, y, vx, vy, status))
    for got, expected in zip(*results):
        np.testing.assert_array_equal(got, expected)
    status = results[0][4]
    assert (status & STATUS_WALL_REVERTED).any() and (status & STATUS_WALL_PUSHED).any()
    assert (kick <= GUARD_DRIFT_M).sum() > 100 and (kick > GUARD_DRIFT_M).sum() > 50  # both paths taken


def test_changing_space_in_place_makes_the_list_again():
    """An agent that crosses into the other space (a portal) without moving: the pairs and walls
    of its old space no longer apply, so the list must be made again. Spaces not joined."""
    inputs, _ = _smooth_inputs(10, n=200)
    inputs = inputs[:19] + (np.eye(2, dtype=bool),) + inputs[20:]
    n = inputs[0].size
    cache = new_pair_cache(n)
    args = _with_positions(inputs, inputs[0].copy(), inputs[1].copy(), cache)
    smooth_forces_pairwise(*args, *_outputs(n), STRIPES)
    space = args[6].copy()
    for i in np.flatnonzero(args[8])[:20]:
        space[i] = 1 - space[i]
    moved = args[:6] + (space,) + args[7:]
    assert not _holds(moved)
    outputs = _outputs(n)
    smooth_forces_pairwise(*moved, *outputs, STRIPES)
    _same(moved, outputs)


def test_a_crowd_that_keeps_changing_cells_is_read_from_the_cells():
    """Lists that do not last a step are not made for the next BACK_OFF_STEPS passes (the
    cells are read instead), then tried again; the same bits throughout."""
    inputs, _ = _smooth_inputs(11, n=200)
    n = inputs[0].size
    cache = new_pair_cache(n)
    x, y = inputs[0].copy(), inputs[1].copy()
    made = []
    for step in range(BACK_OFF_STEPS + 4):
        x, y = x + 0.3, y + 0.1  # everyone walks 0.3 m: someone changes cell every pass
        args = _with_positions(inputs, x.copy(), y.copy(), cache)
        assert not _holds(args)
        outputs = _outputs(n)
        smooth_forces_pairwise(*args, *outputs, STRIPES)
        _same(args, outputs)
        if cache[6][0] >= 0:
            made.append(step)
    assert made == [0, BACK_OFF_STEPS + 1]  # made, dropped at once, cells for 8 passes, made again
