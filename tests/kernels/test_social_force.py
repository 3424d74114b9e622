"""The force kernels agree with the formula-by-formula twins in tests/naive.py."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import naive
from aforo.kernels.cells import build_agent_cells, build_wall_cells
from aforo.kernels.pair_list import new_pair_cache
from aforo.kernels.social_force import (
    MAX_STIFF_PARTNERS,
    MAX_STIFF_WALLS,
    N_PARAMS,
    P_A, P_B, P_K, P_KAPPA, P_MARGIN, P_MAX_DZ, P_RANGE,
    STATUS_PARTNER_OVERFLOW,
    pair_force,
    split_stiff,
    stiff_accelerations,
    stiff_accelerations_pairwise,
    substep_count,
    wall_force,
)
from aforo.kernels.smooth_pass import smooth_forces, smooth_forces_pairwise

A, B, K, KAPPA = 2000.0, 0.08, 1.2e5, 2.4e5


def params(cutoff=0.6, margin=0.03, max_dz=0.5):
    p = np.zeros(N_PARAMS)
    p[P_A], p[P_B], p[P_K], p[P_KAPPA] = A, B, K, KAPPA
    p[P_RANGE], p[P_MARGIN], p[P_MAX_DZ] = cutoff, margin, max_dz
    return p


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(st.floats(-2, 2), st.floats(-2, 2)),
    st.tuples(st.floats(-2, 2), st.floats(-2, 2)),
    st.floats(0.05, 1.2),
    st.floats(0, 2 * math.pi),
    st.floats(0.2, 0.35),
    st.floats(0.2, 0.35),
)
def test_pair_force_matches_formula(vi, vj, distance, angle, ri, rj):
    pj = (1.0 + distance * math.cos(angle), 2.0 + distance * math.sin(angle))
    fx, fy, radial = pair_force(1.0, 2.0, vi[0], vi[1], ri, pj[0], pj[1], vj[0], vj[1], rj, 0, 1, A, B, K, KAPPA)
    expected = naive.pair_force((1.0, 2.0), vi, ri, pj, vj, rj, A, B, K, KAPPA)
    np.testing.assert_allclose([fx, fy], expected, rtol=1e-9, atol=1e-9)
    overlap = ri + rj - distance
    if overlap > 0:
        assert radial == pytest.approx(K * overlap)
    else:
        assert radial == 0.0


def test_pair_force_is_newtonian():
    """f_ij = −f_ji (actio = reactio), including friction."""
    a = pair_force(0, 0, 0.3, -0.2, 0.3, 0.45, 0.1, -1.0, 0.4, 0.25, 0, 1, A, B, K, KAPPA)
    b = pair_force(0.45, 0.1, -1.0, 0.4, 0.25, 0, 0, 0.3, -0.2, 0.3, 1, 0, A, B, K, KAPPA)
    np.testing.assert_allclose(a[:2], -np.array(b[:2]), rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(st.floats(-3, 3), st.floats(0.01, 1.5)),
    st.tuples(st.floats(-2, 2), st.floats(-2, 2)),
    st.floats(0.2, 0.35),
    st.floats(0, 2 * math.pi),
)
def test_wall_force_matches_formula(p, v, r, heading):
    a, b = (-1.0, 0.0), (1.0, 0.0)
    e = (math.cos(heading), math.sin(heading))
    got = wall_force(p[0], p[1], v[0], v[1], r, *a, *b, *e, A, B, K, KAPPA)
    expected = naive.wall_force(p, v, r, a, b, e, A, B, K, KAPPA)
    np.testing.assert_allclose(got[:2], expected, rtol=1e-9, atol=1e-9)


def _random_crowd(rng, n, size):
    pos = rng.uniform(0, size, (n, 2))
    radius = rng.uniform(0.2, 0.35, n)
    space = rng.integers(0, 2, n).astype(np.int64)
    elevation = np.where(space == 1, rng.uniform(0, 1.0, n), 0.0)
    active = rng.random(n) > 0.1
    return pos, radius, space, elevation, active


CELL_M = 2 * 0.35 + 0.6 + 0.05
STRIPES = 2  # threads the parallel force pass cuts its rows for (the serial twin ignores it)


def _smooth_inputs(seed, n=120, size=6.0, listed_only=False):
    """Arguments of smooth_forces for a random crowd on two joined spaces, outputs zeroed.

    With ``listed_only`` some agents stand in the cell lists as partners but get no forces
    (``active`` False), as the periodic corridor's ghosts do (aforo.verify.periodic).
    """
    rng = np.random.default_rng(seed)
    pos, radius, space, elevation, active = _random_crowd(rng, n, size)
    walls = np.array([[0, 0, size, 0], [size, 0, size, size], [0, size, 0, 0], [1, 3, 4, 3.2]], float)
    wall_space = np.array([0, 0, 1, 1], np.int64)
    link = np.array([[True, True], [True, True]])
    x0 = y0 = -CELL_M
    ncx = ncy = int(math.ceil((size + 2 * CELL_M) / CELL_M))
    listed = np.ones(n, dtype=bool) if listed_only else active
    cs, ca, ac = build_agent_cells(pos[:, 0].copy(), pos[:, 1].copy(), listed, x0, y0, CELL_M, ncx, ncy)
    ws, wi = build_wall_cells(walls, x0, y0, CELL_M, ncx, ncy)
    angle = rng.uniform(0, 2 * np.pi, n)
    lying = rng.random(n) < 0.1  # bodies on the floor: no forces with the upright (hazards/floor.py)
    headway = np.where(rng.random(n) < 0.7, 0.5, 0.0)  # who keeps a headway looks for the gap ahead
    inputs = (pos[:, 0].copy(), pos[:, 1].copy(), rng.normal(0, 0.5, n), rng.normal(0, 0.5, n), radius,
              np.full(n, 80.0), space, elevation, active, lying, cs, ca, ac, ncx, ncy, walls, wall_space, ws, wi,
              link, params(), np.cos(angle), np.sin(angle), headway, new_pair_cache(n))
    outputs = (np.zeros(n), np.zeros(n), np.zeros((n, MAX_STIFF_PARTNERS), np.int64), np.zeros(n, np.int64),
               np.zeros((n, MAX_STIFF_WALLS), np.int64), np.zeros(n, np.int64), np.zeros(n), np.zeros(n),
               np.zeros(n, np.int64))
    return inputs, outputs


SMOOTH_OUTPUTS = ("fx", "fy", "stiff_partners", "n_stiff", "stiff_walls", "n_stiff_walls", "contact_rate",
                  "gap_ahead", "status")


def test_stiff_accelerations_sum_full_law():
    """Sub-step accelerations = driving + smooth + full pair and wall forces, over mass."""
    pos = np.array([[0.0, 0.0], [0.5, 0.05], [0.0, -0.28]])
    vel = np.array([[0.5, 0.0], [-0.2, 0.1], [0.0, -0.3]])
    r = np.array([0.27, 0.26, 0.3])
    m = np.array([80.0, 70.0, 90.0])
    walls = np.array([[-2.0, -0.5, 2.0, -0.5]])
    partners = np.zeros((3, MAX_STIFF_PARTNERS), np.int64)
    partners[0, :2] = [1, 2]
    partners[1, 0] = 0
    partners[2, 0] = 0
    n_stiff = np.array([2, 1, 1])
    wall_list = np.zeros((3, MAX_STIFF_WALLS), np.int64)
    n_walls = np.array([0, 0, 1])
    v0, tau = np.array([1.3, 1.2, 1.0]), np.array([0.5, 0.5, 0.4])
    ex, ey = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, -1.0])
    smooth = np.array([5.0, -3.0, 1.0]), np.array([0.0, 2.0, 0.5])
    acc_x, acc_y, radial = np.zeros(3), np.zeros(3), np.zeros(3)
    stiff_accelerations(np.arange(3), pos[:, 0].copy(), pos[:, 1].copy(), vel[:, 0].copy(), vel[:, 1].copy(), r, m,
                        v0, tau, ex, ey, smooth[0], smooth[1], partners, n_stiff, walls, wall_list, n_walls,
                        params(), acc_x, acc_y, radial)
    for i in range(3):
        f = m[i] * (v0[i] * np.array([ex[i], ey[i]]) - vel[i]) / tau[i] + np.array([smooth[0][i], smooth[1][i]])
        for j in partners[i, : n_stiff[i]]:
            f = f + naive.pair_force(pos[i], vel[i], r[i], pos[j], vel[j], r[j], A, B, K, KAPPA)
        if n_walls[i]:
            f = f + naive.wall_force(pos[i], vel[i], r[i], walls[0, :2], walls[0, 2:], (ex[i], ey[i]), A, B, K, KAPPA)
        np.testing.assert_allclose([acc_x[i], acc_y[i]], f / m[i], rtol=1e-9)
    assert radial[2] > 0  # agent 2 overlaps agent 0 and the wall


_coordinate = st.floats(-2, 2, allow_subnormal=False)


@settings(max_examples=200, deadline=None)
@given(
    st.tuples(_coordinate, _coordinate), st.tuples(_coordinate, _coordinate),
    st.tuples(st.floats(-2, 2), st.floats(-2, 2)), st.tuples(st.floats(-2, 2), st.floats(-2, 2)),
    st.floats(0.2, 0.35), st.floats(0.2, 0.35), st.sampled_from(["any", "same x", "same y", "coincident"]),
)
def test_pair_force_is_antisymmetric_to_the_last_bit(pi, pj, vi, vj, ri, rj, case):
    """f_ji = −f_ij exactly (every nonzero component; zeros may differ in sign only), friction and
    coincident centres included: the pairwise contact sub-step relies on it."""
    if case == "same x":
        pj = (pi[0], pj[1])
    elif case == "same y":
        pj = (pj[0], pi[1])
    elif case == "coincident":
        pj = pi
    a = pair_force(*pi, *vi, ri, *pj, *vj, rj, 3, 7, A, B, K, KAPPA)
    b = pair_force(*pj, *vj, rj, *pi, *vi, ri, 7, 3, A, B, K, KAPPA)
    assert b[0] == -a[0] and b[1] == -a[1]  # == ignores the sign of a zero
    assert b[2] == a[2]


def _stiff_inputs(seed, n, listed_only=False, coincident=0, permuted=False):
    """Arguments of stiff_accelerations after a smooth force pass over a random crowd."""
    inputs, outputs = _smooth_inputs(seed, n=n, listed_only=listed_only)
    pos_x, pos_y, vel_x, vel_y, radius, mass, space, elevation, active = inputs[:9]
    if coincident:  # some bodies exactly on top of another (parted by their ids)
        for i in range(coincident):
            pos_x[2 * i + 1], pos_y[2 * i + 1] = pos_x[2 * i], pos_y[2 * i]
            space[2 * i + 1], elevation[2 * i + 1] = space[2 * i], elevation[2 * i]
        listed = np.ones(n, bool) if listed_only else active
        cells = build_agent_cells(pos_x, pos_y, listed, -CELL_M, -CELL_M, CELL_M, inputs[13], inputs[14])
        inputs = inputs[:10] + cells + inputs[13:]
    smooth_forces(*inputs, *outputs, STRIPES)
    fx, fy, partners, n_stiff, wall_list, n_walls, rate, _, _ = outputs
    stiff_ids, _, _ = split_stiff(active, n_stiff, n_walls, np.zeros(n, np.int64), rate)
    rng = np.random.default_rng(seed + 100)
    ex, ey = inputs[-4], inputs[-3]
    walls = inputs[15]
    agent_id = rng.permutation(n) if permuted else None
    args = (stiff_ids, pos_x, pos_y, vel_x, vel_y, radius, mass, rng.uniform(0.8, 1.6, n), rng.uniform(0.3, 0.6, n),
            ex, ey, fx, fy, partners, n_stiff, walls, wall_list, n_walls, params())
    return args, agent_id, rng.uniform(0, 100, n)


@pytest.mark.parametrize("seed, n, listed_only, coincident, permuted, shuffled", [
    (0, 120, False, 0, False, False), (1, 120, True, 0, True, False), (2, 300, False, 6, False, False),
    (3, 400, True, 6, True, False), (4, 400, False, 3, False, True),
])
def test_pairwise_stiff_accelerations_give_the_parallel_kernels_bits(seed, n, listed_only, coincident, permuted,
                                                                     shuffled):
    """The serial contact sub-step evaluates each stiff pair once; its accelerations and compression
    sums must be the parallel kernel's to the last bit: dense crowds whose partner lists overflow
    (pairs listed from one end), partners that are not active (listed only), coincident centres
    parted by ids, agents stored in another order (``agent_id``), stiff agents in any order."""
    args, agent_id, radial_start = _stiff_inputs(seed, n, listed_only, coincident, permuted)
    stiff_ids, n_stiff = args[0], args[14]
    assert stiff_ids.size > 20 and n_stiff.sum() > 40
    if shuffled:
        args = (np.random.default_rng(seed).permutation(stiff_ids),) + args[1:]
    results = []
    for kernel in (stiff_accelerations, stiff_accelerations_pairwise):
        acc_x, acc_y, radial = np.full(n, 7.0), np.full(n, 7.0), radial_start.copy()
        if agent_id is None:
            kernel(*args, acc_x, acc_y, radial)
        else:
            kernel(*args, acc_x, acc_y, radial, agent_id)
        results.append((acc_x, acc_y, radial))
    for name, got, expected in zip(("acc_x", "acc_y", "radial_sum"), results[1], results[0]):
        np.testing.assert_array_equal(got, expected, err_msg=name)
    assert (results[1][0][stiff_ids] != 7.0).all()
    if coincident:
        pos_x, pos_y = args[1], args[2]
        assert any(pos_x[2 * i] == pos_x[2 * i + 1] and pos_y[2 * i] == pos_y[2 * i + 1]
                   and 2 * i + 1 in args[13][2 * i, : n_stiff[2 * i]] for i in range(coincident))


def test_split_and_substeps():
    active = np.array([True, True, False, True])
    stiff_ids, free_ids, rate = split_stiff(active, np.array([1, 0, 3, 0]), np.array([0, 0, 0, 1]), np.zeros(4, np.int64),
                                            np.array([50.0, 0, 900, 80.0]))
    assert stiff_ids.tolist() == [0, 3] and free_ids.tolist() == [1] and rate == 80.0
    assert substep_count(0.01, 80.0, 0.5, 200) == 2
    assert substep_count(0.01, 0.0, 0.5, 200) == 1
    assert substep_count(0.01, 1e9, 0.5, 200) == 200
