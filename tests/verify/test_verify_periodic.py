"""The periodic corridor: the engine's kernels with ghost images across the joined ends."""

from __future__ import annotations

import numpy as np
import pytest

from aforo.scenario.model import Distribution, PhysicsParameters, Population
from aforo.verify.periodic import Crowd, PeriodicCorridor, crowd_at_density, hexagonal_positions

PHYSICS = PhysicsParameters()


def crowd(x, y, v0=1.3, r=0.22):
    n = len(x)
    return Crowd(pos_x=np.array(x, float), pos_y=np.array(y, float), vel_x=np.zeros(n), vel_y=np.zeros(n),
                 radius=np.full(n, r), mass=np.full(n, 80.0), desired_speed=np.full(n, v0),
                 relaxation_time=np.full(n, 0.5), headway_time=np.full(n, 0.5))


def test_a_lone_walker_reaches_its_speed_and_wraps_round():
    c = crowd([19.0], [2.0])
    corridor = PeriodicCorridor(c, 20.0, 4.0, PHYSICS)
    for _ in range(2000):  # 20 s
        corridor.step()
    assert 0.0 <= c.pos_x[0] < 20.0
    assert c.vel_x[0] == pytest.approx(1.3, rel=1e-6)
    # from rest: x(t) = v0 (t − τ (1 − e^(−t/τ))), ≈ v0 (t − τ) after a few τ
    assert c.travelled_x[0] == pytest.approx(1.3 * (20.0 - 0.5), rel=1e-3)
    assert (19.0 + c.travelled_x[0]) % 20.0 == pytest.approx(c.pos_x[0], abs=1e-9)


def test_the_seam_is_invisible_a_shifted_crowd_moves_alike():
    """The same crowd placed 7.3 m further along (wrapped) must move the same way: forces across
    the joined ends (ghosts) equal forces in the middle. Only summation order differs, so the
    runs agree to rounding over a short time."""
    pop = Population("p", "c", 1)
    base = crowd_at_density(pop, 2.5, 12.0, 3.0, seed=4)
    shifted = Crowd(**{k: getattr(base, k).copy() for k in ("pos_x", "pos_y", "vel_x", "vel_y", "radius", "mass",
                                                          "desired_speed", "relaxation_time", "headway_time")})
    shifted.pos_x = (shifted.pos_x + 7.3) % 12.0
    a = PeriodicCorridor(base, 12.0, 3.0, PHYSICS)
    b = PeriodicCorridor(shifted, 12.0, 3.0, PHYSICS)
    for _ in range(150):
        a.step()
        b.step()
    np.testing.assert_allclose(base.travelled_x, shifted.travelled_x, atol=1e-6)
    np.testing.assert_allclose(base.pos_y, shifted.pos_y, atol=1e-6)
    assert np.abs(base.travelled_x).max() > 0.3  # they did move


def test_a_pair_across_the_seam_repels_as_in_the_middle():
    """A slow walker just past the seam and a fast one just before it: the follower slows to its
    headway exactly as it would with both in the middle of the corridor."""
    def run(x_follower, x_leader):
        c = crowd([x_follower, x_leader], [1.5, 1.5])
        c.desired_speed[:] = [1.5, 0.5]
        corridor = PeriodicCorridor(c, 20.0, 3.0, PHYSICS)
        for _ in range(300):
            corridor.step()
        return c.travelled_x.copy()

    across = run(19.4, 0.6)
    middle = run(9.4, 10.6)
    np.testing.assert_allclose(across, middle, atol=1e-9)
    assert across[0] < 1.5 * 3.0 - 0.5  # the follower was held back


def test_even_placement_fits_the_count_and_keeps_off_the_walls():
    rng = np.random.default_rng(0)
    points = hexagonal_positions(600, 20.0, 5.0, 0.25, rng)
    assert points.shape == (600, 2)
    assert points[:, 1].min() >= 0.25 and points[:, 1].max() <= 4.75
    assert points[:, 0].min() >= 0.0 and points[:, 0].max() < 20.0


def test_crowd_at_density_takes_the_populations_distributions():
    pop = Population("p", "c", 1, radius=Distribution.fixed(0.2), desired_speed=Distribution.fixed(1.1), pushing=True)
    c = crowd_at_density(pop, 2.0, 10.0, 2.0, seed=1)
    assert c.count == 40
    assert np.all(c.radius == 0.2) and np.all(c.desired_speed == 1.1) and np.all(c.headway_time == 0.0)


def test_too_short_a_corridor_for_its_ghosts_is_refused():
    with pytest.raises(ValueError, match="too short"):
        PeriodicCorridor(crowd([1.0], [1.0]), 2.0, 2.0, PHYSICS)
