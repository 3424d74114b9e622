"""The compression injury and fall updates as first written: every agent, every step, in NumPy.

The models in aforo.hazards.injury skip agents whose load cannot harm them (they run every
frame); these are the obvious twins they must agree with, bit for bit.
"""

import math

import numpy as np

from aforo.hazards.injury import CAUSE_ASPHYXIA, CAUSE_COMPRESSION, DEAD, INJURED, UNCONSCIOUS


def injury_update(model, dt_s, force_n, time_s):
    dt = float(dt_s)
    p = model.params
    force = np.broadcast_to(np.fmax(np.asarray(force_n, dtype=np.float64), 0.0), model.state.shape)
    t_start = float(time_s) - dt
    old = model.state.copy()
    dose_before = model.dose_s.copy()
    model.dose_s += p.dose_rate(force) * dt
    events = []
    injured = (old < INJURED) & (model.compression_n_per_m(force) > p.injury_compression_n_per_m)
    for i in np.flatnonzero(injured):
        events.append((int(i), INJURED, CAUSE_COMPRESSION, float(time_s)))
    for level, limit in ((UNCONSCIOUS, p.unconscious_dose_s), (DEAD, p.lethal_dose_s)):
        crossed = (old < level) & (model.dose_s >= limit)
        idx = np.flatnonzero(crossed)
        gain = model.dose_s[idx] - dose_before[idx]
        frac = np.where(gain > 0, (limit - dose_before[idx]) / np.where(gain > 0, gain, 1.0), 1.0)
        times = t_start + dt * np.clip(frac, 0.0, 1.0)
        for i, t in zip(idx, times):
            events.append((int(i), level, CAUSE_ASPHYXIA, float(t)))
    events.sort(key=lambda e: (e[0], e[1]))
    time_of = {INJURED: model.time_injured_s, UNCONSCIOUS: model.time_unconscious_s, DEAD: model.time_dead_s}
    for agent, level, cause, t in events:
        time_of[level][agent] = t
        if level > model.state[agent]:
            model.state[agent] = level
            model.cause[agent] = cause
    return [(a, s, c) for a, s, c, _ in events]


def fall_update(model, dt_s, force_n, time_s, cannot_rise=None):
    dt = float(dt_s)
    p = model.params
    n = model.n_agents
    force = np.broadcast_to(np.fmax(np.asarray(force_n, dtype=np.float64), 0.0), (n,))
    draws = model.rng.random(n)
    was_down = model.fallen.copy()
    below = force < p.rise_force_n
    model.time_below_rise_s = np.where(was_down & below, model.time_below_rise_s + dt, 0.0)
    stuck = np.zeros(n, dtype=bool) if cannot_rise is None else np.broadcast_to(np.asarray(cannot_rise, dtype=bool), (n,))
    rise = was_down & ~stuck & (model.time_below_rise_s >= p.rise_after_s)
    probability = -math.expm1(-p.fall_rate_per_s * dt)
    fall = ~was_down & (force > p.fall_force_n) & (draws < probability)
    model.fallen = (model.fallen & ~rise) | fall
    model.time_below_rise_s[rise] = 0.0
    model.fall_count += fall
    model.time_fallen_s[fall] = float(time_s)
    return np.flatnonzero(fall), np.flatnonzero(rise)
