"""Who lies on the floor (hazards/floor.py): the hold-up rule, toppling, falls, getting up."""

from __future__ import annotations

import numpy as np
import pytest

from aforo.errors import ScenarioError
from aforo.hazards.floor import BodiesOnFloor, FloorParameters, stood_on

MASS = np.array([80.0, 80.0, 80.0, 80.0])


def test_a_limp_body_pressed_hard_enough_stays_upright():
    floor = BodiesOnFloor(4)
    # μ F ≥ m g with μ = 0.5, m g = 784.8 N: held from 1569.6 N
    load = np.array([1570.0, 1569.0, 0.0, 3000.0])
    limp = np.array([True, True, True, False])
    for frame in range(10):
        floor.update(0.1, load, MASS, limp, 0.1 * (frame + 1))
    assert floor.lying.tolist() == [False, True, True, False]


def test_an_unsupported_limp_body_topples_after_topple_s():
    floor = BodiesOnFloor(1, FloorParameters(topple_s=0.5))
    went = []
    for frame in range(8):
        went.append(floor.update(0.1, [0.0], [80.0], [True], 0.1 * (frame + 1)).size)
    assert went == [0, 0, 0, 0, 1, 0, 0, 0]  # down at 0.5 s, once
    assert floor.time_lying_s[0] == pytest.approx(0.5)


def test_support_must_fail_without_a_break():
    floor = BodiesOnFloor(1, FloorParameters(topple_s=0.5))
    for load in (0.0, 0.0, 0.0, 0.0, 2000.0, 0.0, 0.0, 0.0, 0.0):
        floor.update(0.1, [load], [80.0], [True], 0.0)
    assert not floor.lying[0]  # 0.4 s, held again, then 0.4 s: never 0.5 s unsupported
    floor.update(0.1, [0.0], [80.0], [True], 0.0)
    assert floor.lying[0]


def test_whoever_fell_lies_down_only_where_the_crowd_does_not_hold_them_and_rises_again():
    floor = BodiesOnFloor(2, FloorParameters(topple_s=0.2))
    for frame in range(3):  # both fell (limp); one is pressed at 5 kN, the other free
        floor.update(0.1, [5000.0, 0.0], [80.0, 80.0], [True, True], 0.1 * (frame + 1))
    assert floor.lying.tolist() == [False, True]
    floor.update(0.1, [0.0, 0.0], [80.0, 80.0], [True, False], 0.4)  # the second got up
    assert floor.lying.tolist() == [False, False]


def test_stood_on_sees_upright_discs_over_lying_bodies_in_the_same_space():
    x = np.array([0.0, 0.60, 5.0, 5.3, 5.0])
    y = np.zeros(5)
    r = np.full(5, 0.22)
    space = np.array([0, 0, 0, 1, 0])
    active = np.array([True, True, True, True, True])
    lying = np.array([True, False, True, False, False])
    link, z = np.eye(2, dtype=bool), np.zeros(5)  # spaces 0 and 1 not joined
    down = np.full(5, 1.0)
    covered = stood_on(x, y, r, space, z, active, lying, down, link, 0.5, 2.0)
    # body 0: agent 1 overlaps its footprint (0.60 < 0.22 + 2 × 0.22); body 2: agent 3 is in
    # another space, agent 4 on it
    assert covered.tolist() == [True, False, True, False, False]
    # a lying body on a lying body: the one that went down later (on a tie the higher index)
    # lies on top and keeps the other down; it may rise itself
    lying[4] = True
    assert stood_on(x, y, r, space, z, active, lying, down, link, 0.5, 2.0).tolist() == [True, False, True, False, False]
    down[4] = 0.5  # body 4 went down first: body 2 is on top
    assert stood_on(x, y, r, space, z, active, lying, down, link, 0.5, 2.0).tolist() == [True, False, False, False, True]


@pytest.mark.parametrize("name, value", [("hold_friction", -0.1), ("topple_s", float("nan")),
                                         ("speed_factor_over_body", 1.5), ("weight_fraction", 2.0),
                                         ("footprint_factor", 0.0), ("footprint_factor", 4.0)])
def test_parameters_are_checked(name, value):
    with pytest.raises(ScenarioError, match=f"floor.{name}"):
        FloorParameters(**{name: value})
