"""Irritant gas (CS) as a passive scalar on the gas lattice: explicit finite-volume diffusion with
first-order removal (see :mod:`aforo.hazards.gas` for the physics and the grid).

Cell i holds concentration ``conc[i]`` (mg/m³) in volume ``volume[i]`` (m³; 0 for a cell that is
not air). Slot k of ``neighbours[i]`` is another cell j (≥ 0), nothing (−1), or the outside air at
concentration 0 (−2, an open exit). The diffusive flux from j into i through that face is

    F = D · conductance[i, k] · (C_j − C_i)      (mg/s; conductance = face area / h, m)

which is antisymmetric, so the fluxes move mass and never make or lose it. ``switch[i, k]`` is −1
for a face that is always open, or the index in ``is_open`` of the opening (door, stair edge) or
outlet (exit) it belongs to; a closed one carries nothing.

One sub-step of length dt (forward Euler), with a_i = dt·D / V_i and G_i the sum of open
conductances of cell i:

    C_i ← C_i · (1 − a_i G_i) + a_i Σ_j g_ij C_j

is a convex combination of non-negative values whenever a_i G_i ≤ 1; the caller picks dt so that
a_i G_i ≤ ½ (then every Fourier mode is damped, none flips sign), so concentrations stay ≥ 0 and
below the largest neighbouring value. Ventilation then multiplies every cell of space s by
``keep[s]`` = exp(−ACH_s · dt / 3600), exactly, whatever dt.

The kernels are serial on purpose: a sub-step is a few nanoseconds per cell, so for a venue of
10⁴–10⁵ cells a parallel launch per sub-step costs more than it saves (measured: 10 ms per launch
on a loaded two-core machine against 12 µs for the whole serial sub-step of a 10 m room).
"""

from __future__ import annotations

import numpy as np
from numba import njit

OUTSIDE = -2  # a neighbour slot that opens onto the outside air (concentration 0)


@njit(cache=True)
def _diffuse_once(conc, out, volume, neighbours, conductance, switch, is_open, coefficient, leaked):
    """One explicit sub-step from ``conc`` into ``out``; adds mass lost to the outside per cell
    to ``leaked`` (mg). ``coefficient`` = dt·D (m²)."""
    for i in range(conc.size):
        v = volume[i]
        if v <= 0.0:
            out[i] = conc[i]
            continue
        c = conc[i]
        a = coefficient / v
        g_total = 0.0
        inflow = 0.0
        lost = 0.0
        for k in range(neighbours.shape[1]):
            j = neighbours[i, k]
            if j == -1:
                continue
            sw = switch[i, k]
            if sw >= 0 and not is_open[sw]:
                continue
            g = conductance[i, k]
            g_total += g
            if j >= 0:
                inflow += g * conc[j]
            else:
                lost += g
        out[i] = c * (1.0 - a * g_total) + a * inflow
        leaked[i] += coefficient * lost * c


@njit(cache=True)
def _ventilate(conc, volume, space_of_cell, keep, lost_fraction, removed):
    """Multiply each cell by ``keep`` of its space; add the mass removed per cell to ``removed``."""
    for i in range(conc.size):
        s = space_of_cell[i]
        removed[i] += lost_fraction[s] * conc[i] * volume[i]
        conc[i] *= keep[s]


@njit(cache=True)
def gas_step(conc, volume, neighbours, conductance, switch, is_open, space_of_cell, diffusivity,
             dt_sub, n_sub, keep, lost_fraction):
    """Advance ``conc`` (in place) by ``n_sub`` sub-steps of ``dt_sub`` seconds.

    conc           [n] float64, mg/m³ (updated in place)
    volume         [n] float64, m³ (0: not air; such cells are left as they are)
    neighbours     [n, k] int64: a cell, −1 (none) or −2 (outside air)
    conductance    [n, k] float64, face area / centre distance (m)
    switch         [n, k] int64, −1 (always open) or an index into ``is_open``
    is_open        [m] bool
    space_of_cell  [n] int64
    diffusivity    D (m²/s)
    keep           [n_spaces] float64, exp(−ACH·dt_sub/3600) per space
    lost_fraction  [n_spaces] float64, 1 − keep, computed without cancellation (−expm1)

    Returns (leaked_mg, ventilated_mg): mass that left through outlets and mass removed by
    ventilation during the call, each summed over cells in index order (deterministic).
    """
    n = conc.size
    scratch = np.empty(n)
    leaked = np.zeros(n)
    removed = np.zeros(n)
    coefficient = dt_sub * diffusivity
    ventilated = False
    for s in range(keep.size):
        if keep[s] != 1.0:
            ventilated = True
    current, other = conc, scratch
    for _ in range(n_sub):
        _diffuse_once(current, other, volume, neighbours, conductance, switch, is_open, coefficient, leaked)
        current, other = other, current
        if ventilated:
            _ventilate(current, volume, space_of_cell, keep, lost_fraction, removed)
    if n_sub % 2 == 1:
        conc[:] = current
    leaked_total = 0.0
    removed_total = 0.0
    for i in range(n):
        leaked_total += leaked[i]
        removed_total += removed[i]
    return leaked_total, removed_total


@njit(cache=True)
def total_mass(conc, volume):
    """Σ C_i V_i (mg), summed in index order."""
    total = 0.0
    for i in range(conc.size):
        total += conc[i] * volume[i]
    return total
