"""Exposure to gases and smoke, and what it does to people: dose, incapacitation, speed.

Everything here is vectorised over agents: arrays in (one entry per agent, or scalars that
broadcast), arrays out. Every threshold is a field of :class:`ExposureParameters`, a frozen
dataclass whose defaults are sourced below; ensembles should vary them.

Fire gases: Purser's fractional effective dose, as FDS computes it
--------------------------------------------------------------------

FDS+Evac takes the FED of each agent from FDS's ``FUNCTION FED`` (``Source/func.f90``, read at
firemodels/fds commit 00cd3fb31b5220f2f8a3c4588e8831c974bd736d; equations from D. A. Purser,
SFPE Handbook 4th ed., sec. 2 ch. 6). Per minute, with C in ppm unless stated::

    FED rate = (r_CO + r_CN + r_NOx + r_irr) · HV_CO2 + r_O2

    r_CO   = 2.7641667e-5 · C_CO^1.036              "light work", FDS's default activity
                                                      (3.317e-5 · RMV 25 l/min / D 30 % COHb);
                                                      Purser's rounded 2.764e-5 differs by 6e-5
    r_NOx  = (C_NO + C_NO2) / 1500
    r_CN   = exp(C_CN / 43) / 220 − 1/220,  C_CN = C_HCN − (C_NO + C_NO2), only where C_CN > 0
                                              (FDS writes the offset as 0.00454545 = 1/220)
    r_irr  = Σ_i C_i / LCt_i                  irritants' fractional lethal dose (FLD); FDS takes
                                              each LCt from the species input; passed in here
    HV_CO2 = exp(0.1903 · %CO2 + 2.0004) / 7.1   only where CO2 > 0; 1 where CO2 = 0
    r_O2   = 1 / exp(8.13 − 0.54 · (20.9 − %O2))  only where O2 < 20 %

Two details of the code differ from the formula as usually quoted (shared/reference/tear-gas.md
among others): HV_CO2 is 1, not exp(2.0004)/7.1 = 1.041, where there is no CO2, and the O2 term
starts below 20 % (FDS: ``X_O2 < 0.20``), not below 20.9 %. The first decides ISO 20414 test 19
case c (1692.8 s with HV = 1, 1626 s with 1.041); the second is a settable parameter
(``o2_hypoxia_below_percent``). Incapacitation at FED = 1.

Tear gas (CS): concentration, dose, and eyes that close
-------------------------------------------------------

CS is an irritant: its effect follows the concentration now (sensory irritation) and the dose
(incapacitation, lethality). Sources are those collected in shared/reference/tear-gas.md:

* ``FEC_CS = C / F_CS``: ISO 13571's fractional effective concentration. No standard F exists for
  CS; ``F_CS = 10 mg/m³`` is NIOSH's "intolerable" level, a documented choice. FEC ≥ 1 is
  reported as ``intolerable``; it does not by itself incapacitate.
* ``Ct = ∫ C dt`` (mg·min/m³). Incapacitated at Ct ≥ ICt50 = 10 mg·min/m³: WHO-type monographs
  give 5–10, military sheets 10–20; 10 is the one value in both ranges. Lethal dose flag at
  Ct ≥ LCt50 = 25 000 mg·min/m³, the lower (military) estimate; the WHO-type estimate is
  60 000. Both are human estimates, not measurements.
* Eyes: blepharospasm makes people functionally near-blind within 10–60 s. Above the irritation
  concentration (1.0 mg/m³, the top of the 0.1–1.0 mg/m³ "minimal irritant" range) an agent's
  irritation clock runs; when it has run ``cs_eye_closure_onset_s`` = 20 s (ACGIH: onset within
  about 20 s) the eyes close. They open again after ``cs_recovery_s`` = 5 min spent continuously
  below the irritation concentration (ACGIH: effects last 5–10 min after leaving the gas), and
  the irritation clock restarts from zero. Dips below the threshold shorter than the recovery
  time do not reset the clock: irritation does not vanish in seconds.
* Walking with eyes closed: Jin (1978, secondary) found speeds in irritant smoke falling towards
  blindfolded walking, about 0.3 m/s; over Weidmann's free speed 1.34 m/s that is a factor
  0.3 / 1.34 ≈ 0.224 on the desired speed.

Smoke and speed
---------------

Frantzich & Nilsson, as used by FDS+Evac: ``v = v0 · max(0.1, 1 + β K / α)`` with
α = 0.706 m/s, β = −0.057 m²/s and K the extinction coefficient (1/m). Where eyes are closed the
speed factor is the smaller of the smoke factor and the eyes-closed factor (blind walking is the
floor that smoke tends to, not a second reduction on top of it).

Integration
-----------

:meth:`Exposure.update` integrates with the concentrations given for the step held constant over
it (FED += rate · dt, Ct += C · dt). The time a threshold is crossed is interpolated linearly
within the step, which is exact for constant concentrations, so recorded times do not depend on
dt. Flags never clear: an incapacitated agent stays incapacitated (FDS+Evac does the same).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from aforo.errors import Problem, ScenarioError

__all__ = [
    "ExposureParameters",
    "Exposure",
    "fed_rate_per_s",
    "smoke_speed_factor",
    "AMBIENT_O2_PERCENT",
]

AMBIENT_O2_PERCENT = 20.9


@dataclass(frozen=True)
class ExposureParameters:
    """Thresholds of the exposure model. SI units except where the literature's own are kept
    (ppm, volume %, mg/m³, mg·min/m³). Defaults and their sources: see the module docstring."""

    # Purser FED as FDS computes it
    co_coefficient_per_min: float = 2.7641667e-5  # FDS light work; at rest 0.70486250e-5, heavy 8.2925e-5
    co_exponent: float = 1.036
    o2_hypoxia_below_percent: float = 20.0  # FDS: the O2 term applies where X_O2 < 0.20
    fed_incapacitation: float = 1.0
    # Smoke and walking speed (Frantzich & Nilsson, FDS+Evac)
    smoke_alpha_m_per_s: float = 0.706
    smoke_beta_m2_per_s: float = -0.057
    smoke_min_speed_factor: float = 0.1
    # CS (tear gas)
    cs_fec_reference_mg_m3: float = 10.0  # F_CS: NIOSH "intolerable"
    cs_ict50_mg_min_m3: float = 10.0  # WHO-type 5–10, military 10–20
    cs_lct50_mg_min_m3: float = 25_000.0  # military; WHO-type estimate 60 000
    cs_irritation_mg_m3: float = 1.0  # top of the 0.1–1.0 minimal irritant range
    cs_eye_closure_onset_s: float = 20.0  # ACGIH: onset within about 20 s
    cs_eyes_closed_speed_factor: float = 0.3 / 1.34  # Jin: blindfolded ~0.3 m/s over 1.34 m/s
    cs_recovery_s: float = 300.0  # ACGIH: effects last 5–10 min after leaving the gas

    def __post_init__(self) -> None:
        problems = []
        positive = (
            "co_coefficient_per_min", "co_exponent", "fed_incapacitation", "smoke_alpha_m_per_s",
            "cs_fec_reference_mg_m3", "cs_ict50_mg_min_m3", "cs_lct50_mg_min_m3",
            "cs_irritation_mg_m3",
        )
        for f in fields(self):
            value = getattr(self, f.name)
            if not np.isfinite(value):
                problems.append(Problem(f"exposure.{f.name}", f"must be finite, got {value!r}"))
            elif f.name in positive and value <= 0:
                problems.append(Problem(f"exposure.{f.name}", f"must be > 0, got {value!r}"))
        for name in ("cs_eye_closure_onset_s", "cs_recovery_s"):
            if getattr(self, name) < 0:
                problems.append(Problem(f"exposure.{name}", f"must be >= 0, got {getattr(self, name)!r}"))
        for name in ("smoke_min_speed_factor", "cs_eyes_closed_speed_factor"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                problems.append(Problem(f"exposure.{name}", f"must be in [0, 1], got {getattr(self, name)!r}"))
        if self.smoke_beta_m2_per_s > 0:
            problems.append(Problem("exposure.smoke_beta_m2_per_s", "must be <= 0 (smoke slows people)"))
        if problems:
            raise ScenarioError(problems)


DEFAULT_EXPOSURE = ExposureParameters()


def _nonneg(values) -> np.ndarray:
    """Concentrations as float arrays; negative and NaN readings count as none."""
    return np.fmax(np.asarray(values, dtype=np.float64), 0.0)


def fed_rate_per_s(
    co_ppm,
    co2_percent,
    o2_percent,
    *,
    hcn_ppm=0.0,
    no_ppm=0.0,
    no2_ppm=0.0,
    irritant_fld_per_min=0.0,
    params: ExposureParameters = DEFAULT_EXPOSURE,
) -> np.ndarray:
    """Purser's FED rate (1/s) as FDS's ``FUNCTION FED`` computes it, elementwise.

    ``co_ppm``, ``hcn_ppm``, ``no_ppm``, ``no2_ppm`` in ppm; ``co2_percent``, ``o2_percent`` in
    volume %; ``irritant_fld_per_min`` = Σ C_i / LCt_i (1/min) for irritants other than NO2
    (NO2 enters through ``no2_ppm``). Negative or NaN concentrations count as zero; a NaN O2
    reading counts as ambient air.
    """
    co = _nonneg(co_ppm)
    nox = _nonneg(no_ppm) + _nonneg(no2_ppm)
    c_cn = _nonneg(hcn_ppm) - nox
    co2 = _nonneg(co2_percent)
    o2 = np.asarray(o2_percent, dtype=np.float64)
    o2 = np.where(np.isfinite(o2), o2, AMBIENT_O2_PERCENT)

    with np.errstate(over="ignore"):  # absurd concentrations give an infinite rate, not a warning
        r_co = params.co_coefficient_per_min * co**params.co_exponent
        r_nox = nox / 1500.0
        r_cn = np.where(c_cn > 0.0, np.expm1(np.fmax(c_cn, 0.0) / 43.0) / 220.0, 0.0)
        r_irr = _nonneg(irritant_fld_per_min)
        hv_co2 = np.where(co2 > 0.0, np.exp(0.1903 * co2 + 2.0004) / 7.1, 1.0)
        r_o2 = np.where(
            o2 < params.o2_hypoxia_below_percent, np.exp(-(8.13 - 0.54 * (AMBIENT_O2_PERCENT - o2))), 0.0
        )
        return ((r_co + r_cn + r_nox + r_irr) * hv_co2 + r_o2) / 60.0


def smoke_speed_factor(extinction_per_m, params: ExposureParameters = DEFAULT_EXPOSURE) -> np.ndarray:
    """Frantzich & Nilsson: v / v0 = max(min_factor, 1 + β K / α), at most 1; NaN K counts as clear."""
    k = _nonneg(extinction_per_m)
    factor = 1.0 + params.smoke_beta_m2_per_s * k / params.smoke_alpha_m_per_s
    return np.clip(factor, params.smoke_min_speed_factor, 1.0)


class Exposure:
    """Per-agent exposure accumulator: FED, CS now and CS dose, eyes, flags, speed factor.

    Arrays (length ``n_agents``) are public attributes and are updated in place by
    :meth:`update`; read them, don't write them. Times are on the accumulator's own clock,
    ``time_s``, which starts at ``start_time_s`` and advances by each ``dt_s``.
    """

    def __init__(self, n_agents: int, params: ExposureParameters = DEFAULT_EXPOSURE, *, start_time_s: float = 0.0):
        n = int(n_agents)
        self.params = params
        self.time_s = float(start_time_s)
        self.fed = np.zeros(n)  # Purser FED, dimensionless
        self.cs_mg_m3 = np.zeros(n)  # CS concentration in the last step
        self.cs_ct_mg_min_m3 = np.zeros(n)  # CS dose ∫ C dt
        self.time_above_irritation_s = np.zeros(n)  # total time with CS at or above the irritation level
        self.irritation_clock_s = np.zeros(n)  # time above the irritation level since the last recovery
        self.time_below_irritation_s = np.full(n, np.inf)  # continuous time below it (inf: never exposed)
        self.eyes_closed = np.zeros(n, dtype=bool)
        self.extinction_per_m = np.zeros(n)  # smoke extinction coefficient in the last step
        self.incapacitated_fed = np.zeros(n, dtype=bool)
        self.incapacitated_cs = np.zeros(n, dtype=bool)
        self.lethal_cs = np.zeros(n, dtype=bool)
        self.time_incapacitated_fed_s = np.full(n, np.nan)
        self.time_incapacitated_cs_s = np.full(n, np.nan)
        self.time_lethal_cs_s = np.full(n, np.nan)
        self.time_eyes_closed_s = np.full(n, np.nan)  # most recent closure

    @property
    def n_agents(self) -> int:
        return int(self.fed.size)

    @property
    def fec_cs(self) -> np.ndarray:
        """ISO 13571 fractional effective concentration of CS now: C / F_CS."""
        return self.cs_mg_m3 / self.params.cs_fec_reference_mg_m3

    @property
    def intolerable(self) -> np.ndarray:
        """FEC_CS ≥ 1: above NIOSH's "intolerable" concentration (with the default F_CS)."""
        return self.fec_cs >= 1.0

    @property
    def incapacitated(self) -> np.ndarray:
        """Incapacitated by fire gases (FED ≥ 1) or by CS (Ct ≥ ICt50)."""
        return self.incapacitated_fed | self.incapacitated_cs

    @property
    def speed_factor(self) -> np.ndarray:
        """Factor on the desired speed: smoke law, and blind walking where eyes are closed."""
        factor = smoke_speed_factor(self.extinction_per_m, self.params)
        return np.where(self.eyes_closed, np.minimum(factor, self.params.cs_eyes_closed_speed_factor), factor)

    def update(
        self,
        dt_s: float,
        *,
        co_ppm=0.0,
        co2_percent=0.0,
        o2_percent=AMBIENT_O2_PERCENT,
        hcn_ppm=0.0,
        no_ppm=0.0,
        no2_ppm=0.0,
        irritant_fld_per_min=0.0,
        cs_mg_m3=0.0,
        extinction_per_m=0.0,
    ) -> None:
        """Advance every agent by ``dt_s`` under the given concentrations (per agent or scalar).

        Concentrations are those at each agent's breathing height during the step. Anything not
        given is absent (O2 defaults to ambient air).
        """
        dt = float(dt_s)
        if not np.isfinite(dt) or dt < 0.0:
            raise ValueError(f"dt_s must be finite and >= 0, got {dt_s!r}")
        p = self.params
        n = self.n_agents
        t_start = self.time_s
        t_end = t_start + dt

        # Fire gases
        rate = np.broadcast_to(
            fed_rate_per_s(co_ppm, co2_percent, o2_percent, hcn_ppm=hcn_ppm, no_ppm=no_ppm, no2_ppm=no2_ppm,
                           irritant_fld_per_min=irritant_fld_per_min, params=p),
            (n,),
        )
        fed_before = self.fed.copy()
        self.fed += rate * dt
        crossed = ~self.incapacitated_fed & (self.fed >= p.fed_incapacitation)
        self.time_incapacitated_fed_s[crossed] = _crossing_time(
            fed_before[crossed], self.fed[crossed], p.fed_incapacitation, t_start, dt
        )
        self.incapacitated_fed |= crossed

        # CS: dose
        cs = np.broadcast_to(_nonneg(cs_mg_m3), (n,))
        self.cs_mg_m3[:] = cs
        ct_before = self.cs_ct_mg_min_m3.copy()
        self.cs_ct_mg_min_m3 += cs * (dt / 60.0)
        for flag, times, limit in (
            (self.incapacitated_cs, self.time_incapacitated_cs_s, p.cs_ict50_mg_min_m3),
            (self.lethal_cs, self.time_lethal_cs_s, p.cs_lct50_mg_min_m3),
        ):
            crossed = ~flag & (self.cs_ct_mg_min_m3 >= limit)
            times[crossed] = _crossing_time(ct_before[crossed], self.cs_ct_mg_min_m3[crossed], limit, t_start, dt)
            flag |= crossed

        # CS: irritation and eyes
        above = cs >= p.cs_irritation_mg_m3
        self.time_above_irritation_s += np.where(above, dt, 0.0)
        clock_before = self.irritation_clock_s.copy()
        self.irritation_clock_s += np.where(above, dt, 0.0)
        self.time_below_irritation_s = np.where(above, 0.0, self.time_below_irritation_s + dt)
        closing = ~self.eyes_closed & above & (self.irritation_clock_s >= p.cs_eye_closure_onset_s)
        self.time_eyes_closed_s[closing] = _crossing_time(
            clock_before[closing], self.irritation_clock_s[closing], p.cs_eye_closure_onset_s, t_start, dt
        )
        self.eyes_closed |= closing
        recovered = ~above & (self.time_below_irritation_s >= p.cs_recovery_s)
        self.eyes_closed &= ~recovered
        self.irritation_clock_s[recovered] = 0.0

        # Smoke
        self.extinction_per_m[:] = np.broadcast_to(_nonneg(extinction_per_m), (n,))
        self.time_s = t_end


def _crossing_time(before: np.ndarray, after: np.ndarray, level: float, t_start: float, dt: float) -> np.ndarray:
    """When a quantity growing linearly from ``before`` to ``after`` over the step reaches ``level``."""
    gain = after - before
    fraction = np.where(gain > 0.0, (level - before) / np.where(gain > 0.0, gain, 1.0), 1.0)
    return t_start + dt * np.clip(fraction, 0.0, 1.0)
