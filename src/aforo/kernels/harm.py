"""Harm between frames: the per-agent loops of compression injury and falls.

:mod:`aforo.hazards.injury` runs these at every recorded frame (5 400 times a Los Olivos
night) for a few dozen loaded agents; as NumPy expressions they cost some thirty array calls
a frame. The arithmetic is the models' own, operation for operation, so the results are the
same bits (tests/hazards/test_injury.py compares them with the all-NumPy updates).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def injury_step(hot, force, rate, dt, time_s, state, dose_s, radius, injury_n_per_m, unconscious_dose_s,
                lethal_dose_s, injured_level, unconscious_level, dead_level):
    """Dose and transitions of the agents ``hot`` (increasing), loaded with ``force`` (N, > 0)
    at dose ``rate`` (s/s). Adds rate·dt to their doses in place; the states are left to the
    caller. Returns (agent, level, time_s) of the transitions, ordered by agent then level.

    Injured when force / (2π r) exceeds ``injury_n_per_m`` (at ``time_s``); unconscious and
    dead when the dose reaches its limit, at the time interpolated linearly in the dose
    within the step (exact for a load held constant over it).
    """
    n = hot.size
    agents = np.empty(3 * n, np.int64)
    levels = np.empty(3 * n, np.int64)
    times = np.empty(3 * n)
    count = 0
    two_pi = 2.0 * np.pi
    t_start = time_s - dt
    for k in range(n):
        i = hot[k]
        old = state[i]
        before = dose_s[i]
        after = before + rate[k] * dt
        dose_s[i] = after
        if old < injured_level and force[k] / (two_pi * radius[i]) > injury_n_per_m:
            agents[count] = i
            levels[count] = injured_level
            times[count] = time_s
            count += 1
        for level in (unconscious_level, dead_level):
            limit = unconscious_dose_s if level == unconscious_level else lethal_dose_s
            if old < level and after >= limit:
                gain = after - before
                frac = (limit - before) / gain if gain > 0 else 1.0
                frac = min(max(frac, 0.0), 1.0)
                agents[count] = i
                levels[count] = level
                times[count] = t_start + dt * frac
                count += 1
    return agents[:count], levels[:count], times[:count]


@njit(cache=True)
def fall_step(force, draws, cannot_rise, fallen, time_below_rise_s, fall_count, time_fallen_s, fall_force_n,
              rise_force_n, rise_after_s, probability, dt, time_s):
    """One step of falls, in place. ``force`` (N) ≥ 0; ``draws`` one uniform per agent.

    An agent up at the start of the step falls when its load exceeds ``fall_force_n`` and its
    draw is below ``probability``; an agent down counts the time its load stays below
    ``rise_force_n`` and gets up after ``rise_after_s`` unless it ``cannot_rise``. Returns the
    indices of those that fell and of those that got up.
    """
    n = force.size
    fell = np.empty(n, np.int64)
    rose = np.empty(n, np.int64)
    n_fell = 0
    n_rose = 0
    for i in range(n):
        if fallen[i]:
            below = time_below_rise_s[i] + dt if force[i] < rise_force_n else 0.0
            if below >= rise_after_s and not cannot_rise[i]:
                fallen[i] = False
                below = 0.0
                rose[n_rose] = i
                n_rose += 1
            time_below_rise_s[i] = below
        else:
            time_below_rise_s[i] = 0.0
            if force[i] > fall_force_n and draws[i] < probability:
                fallen[i] = True
                fall_count[i] += 1
                time_fallen_s[i] = time_s
                fell[n_fell] = i
                n_fell += 1
    return fell[:n_fell], rose[:n_rose]
