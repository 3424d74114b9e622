"""The smooth force pass (kernels/smooth_pass.py): the law's values, and the order of its sums.

Both kernels (stripes of rows on several threads, and the serial twin with its pair list) must
give, to the last bit, what a plain Python loop gives when it takes each agent's partners in
block order and evaluates every pair from both ends.
"""

import math

import numpy as np
import pytest

import naive
from aforo.kernels.smooth_pass import (
    add_wall_forces,
    most_candidates,
    smooth_forces,
    smooth_forces_pairwise,
    stripe_rows,
)
from aforo.kernels.social_force import P_A, P_B, P_K, P_KAPPA, P_MARGIN, P_MAX_DZ, P_RANGE, STATUS_PARTNER_OVERFLOW, \
    MAX_STIFF_PARTNERS
from test_social_force import A, B, CELL_M, SMOOTH_OUTPUTS, STRIPES, _smooth_inputs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_smooth_forces_match_all_pairs_reference(seed):
    inputs, outputs = _smooth_inputs(seed)
    smooth_forces(*inputs, *outputs, STRIPES)
    pos_x, pos_y, _, _, radius, _, space, elevation, active, lying, *_, walls, wall_space, _, _, link, p, ex, ey, \
        headway, _ = inputs
    fx, fy, partners, n_stiff, wall_list, n_walls, rate, gap_ahead, status = outputs
    n = pos_x.size
    pos = np.column_stack([pos_x, pos_y])
    ref, ref_stiff, ref_walls = naive.smooth_forces(pos, radius, space, active, walls, wall_space, link, elevation,
                                                    A, B, p[P_RANGE], p[P_MARGIN], p[P_MAX_DZ], np.column_stack([ex, ey]),
                                                    lying)
    np.testing.assert_allclose(np.column_stack([fx, fy]), ref, rtol=1e-9, atol=1e-9)
    ref_gap = naive.gap_ahead(pos, radius, space, active, link, elevation, np.column_stack([ex, ey]), p[P_MAX_DZ],
                              lying)
    # The kernel searches the 3 × 3 cells around an agent (centres at least one cell edge,
    # 1.35 m, away are always seen); compare where the reference's nearest blocker is that close.
    seen = ref_gap + 2 * 0.35 < CELL_M
    looks = active & (headway > 0)
    assert (seen & looks).sum() > 20
    np.testing.assert_allclose(gap_ahead[seen & looks], ref_gap[seen & looks], rtol=1e-12)
    # pushers (headway 0) are not given a gap: only the headway rule reads it
    assert np.isinf(gap_ahead[active & (headway == 0)]).all()
    for i in range(n):
        assert set(partners[i, : n_stiff[i]].tolist()) == ref_stiff[i]
        assert set(wall_list[i, : n_walls[i]].tolist()) == ref_walls[i]
    assert (status == 0).all()


def _block_order_reference(inputs, outputs):
    """The outputs the kernels must give: naive.partner_sums_in_block_order, then the walls
    (``add_wall_forces``, the same kernel either pass ends with)."""
    (pos_x, pos_y, _, _, radius, mass, space, elevation, active, lying, cell_start, cell_agents, agent_cell, ncx,
     ncy, walls, wall_space, wall_start, wall_ids, link, p, ex, ey, headway, _) = inputs
    fx, fy, stiffness, friction, partners, overflow, ahead = naive.partner_sums_in_block_order(
        pos_x, pos_y, radius, space, elevation, active, lying, cell_start, cell_agents, agent_cell, ncx, ncy, link,
        p[P_A], p[P_B], p[P_K], p[P_KAPPA], p[P_RANGE], p[P_MARGIN], p[P_MAX_DZ], ex, ey, headway, MAX_STIFF_PARTNERS)
    out = tuple(a.copy() for a in outputs)
    out_fx, out_fy, stiff_partners, n_stiff, stiff_walls, n_stiff_walls, rate, gap_ahead, status = out
    out_fx[:] = np.where(active, fx, 0.0)
    out_fy[:] = np.where(active, fy, 0.0)
    for i, listed in enumerate(partners):
        stiff_partners[i, : len(listed)] = listed
        n_stiff[i] = len(listed)
    gap_ahead[active] = ahead[active]
    status[overflow] |= STATUS_PARTNER_OVERFLOW
    add_wall_forces(pos_x, pos_y, radius, mass, space, active, agent_cell, ex, ey, walls, wall_space, wall_start,
                    wall_ids, p, out_fx, out_fy, np.where(active, stiffness, 0.0), np.where(active, friction, 0.0),
                    stiff_walls, n_stiff_walls, rate, status)
    return out


@pytest.mark.parametrize("seed, n, listed_only", [(0, 120, False), (1, 120, True), (2, 300, False), (3, 400, True)])
def test_both_kernels_sum_in_block_order_for_any_number_of_stripes(seed, n, listed_only):
    """Every output, bit for bit: sums in block order (each pair evaluated once, its terms
    added to both ends), partner lists cut at the same partner where they overflow (400 agents
    on 36 m²), stripes whose ghost row is the previous stripe's last (3 and 5 stripes of 6
    rows: stripes of one or two rows; 11: some stripes empty). ``listed_only``: some agents
    stand in the cells as partners only (``active`` False), as the periodic corridor's ghosts."""
    inputs, outputs = _smooth_inputs(seed, n=n, listed_only=listed_only)
    expected = _block_order_reference(inputs, outputs)
    for stripes in (1, 2, 3, 5, 11):
        got = tuple(a.copy() for a in outputs)
        smooth_forces(*inputs, *got, stripes)
        for name, value, want in zip(SMOOTH_OUTPUTS, got, expected):
            np.testing.assert_array_equal(value, want, err_msg=f"{name}, {stripes} stripes")
    got = tuple(a.copy() for a in outputs)
    smooth_forces_pairwise(*inputs, *got, STRIPES)
    for name, value, want in zip(SMOOTH_OUTPUTS, got, expected):
        np.testing.assert_array_equal(value, want, err_msg=f"{name}, serial")
    active, n_stiff, status, gap_ahead = inputs[8], expected[3], expected[8], expected[7]
    assert n_stiff[active].sum() > 0 and (n_stiff[~active] == 0).all()
    assert np.isfinite(gap_ahead[active]).sum() > 10
    if n == 400:
        assert (status & STATUS_PARTNER_OVERFLOW).any()


def test_stripes_share_the_agents_and_cover_every_row():
    rng = np.random.default_rng(4)
    ncx, ncy = 7, 40
    counts = rng.integers(0, 9, ncx * ncy)
    counts[ncx * 10: ncx * 30] = 0  # an empty band
    cell_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    for stripes in (1, 2, 3, 8, 60):
        bounds = stripe_rows(cell_start, ncx, ncy, stripes)
        assert bounds[0] == 0 and bounds[-1] == ncy and (np.diff(bounds) >= 0).all()
        held = np.diff(cell_start[bounds * ncx])
        assert held.sum() == cell_start[-1]
        if stripes <= 8:  # each within a row's worth of an equal share
            assert np.abs(held - cell_start[-1] / stripes).max() <= counts.reshape(ncy, ncx).sum(axis=1).max()


def test_room_for_candidates_is_the_most_in_any_block():
    rng = np.random.default_rng(5)
    ncx, ncy = 6, 5
    counts = rng.integers(0, 12, ncx * ncy)
    cell_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    grid = counts.reshape(ncy, ncx)
    most = max(grid[max(r - 1, 0): r + 2, max(c - 1, 0): c + 2].sum() for r in range(ncy) for c in range(ncx))
    room = most_candidates(cell_start, ncx, ncy)
    assert most <= room <= 9 * counts.max()
