"""Slow, obvious twin of :func:`aforo.kernels.gas.gas_step`: loop over faces, compute each flux
F = D·g·(C_j − C_i) once, move it from one cell to the other, then ventilate every cell."""

from __future__ import annotations

import numpy as np


def gas_step(conc, volume, neighbours, conductance, switch, is_open, space_of_cell, diffusivity,
             dt_sub, n_sub, keep, lost_fraction):
    """Same arguments as the kernel; returns (new conc, leaked_mg, ventilated_mg)."""
    conc = np.array(conc, dtype=float)
    leaked = 0.0
    ventilated = 0.0
    n, slots = neighbours.shape
    for _ in range(n_sub):
        mass = conc * volume
        change = np.zeros(n)
        for i in range(n):
            if volume[i] <= 0.0:
                continue
            for k in range(slots):
                j = int(neighbours[i, k])
                if j == -1:
                    continue
                if switch[i, k] >= 0 and not is_open[switch[i, k]]:
                    continue
                g = conductance[i, k]
                if j == -2:  # outside air at 0: the face is counted once, from inside
                    flux = dt_sub * diffusivity * g * (0.0 - conc[i])
                    change[i] += flux
                    leaked -= flux
                elif i < j:  # each inner face once, both ways
                    flux = dt_sub * diffusivity * g * (conc[j] - conc[i])
                    change[i] += flux
                    change[j] -= flux
        mass = mass + change
        conc = np.where(volume > 0, mass / np.where(volume > 0, volume, 1.0), conc)
        for i in range(n):
            if volume[i] > 0:
                s = space_of_cell[i]
                ventilated += conc[i] * volume[i] * lost_fraction[s]
                conc[i] = conc[i] * keep[s]
    return conc, leaked, ventilated
