"""GITT: the solid diffusivity D(x) from a titration's pulses and rests (a pure function of a
replay's steps and time series; never runs a simulation).

For each current pulse of duration tau followed by a rest, Weppner and Huggins' short-time
solution for spherical particles of radius R (J. Electrochem. Soc. 124 (1977) 1569; as used
for layered oxides, e.g. Shen et al.) gives

    D = 4 / (pi tau) * (R / 3)^2 * (dE_s / dE_t)^2

with dE_s the change of the relaxed voltage over the pulse (end of this rest minus end of the
rest before) and dE_t the voltage change during the pulse without the Ohmic step (last minus
first voltage of the pulse). x is the mean cathode stoichiometry of the pulse.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def gitt_diffusivity(steps: pd.DataFrame, timeseries: pd.DataFrame,
                     particle_radius_m: float) -> pd.DataFrame:
    """One row per pulse that has a rest before and after it: ``step``, ``direction``,
    ``stoichiometry`` (mean cathode x), ``voltage_V`` (relaxed, after the pulse),
    ``dE_s_V``, ``dE_t_V`` and ``diffusivity_m2_per_s``.

    ``steps``: a replay's steps table (``step``, ``direction``, ``status``); ``timeseries``: its
    time series (``step``, ``time_s``, ``voltage_V``, ``cathode_stoichiometry``)."""
    rows = []
    ordered = steps.sort_values("step").reset_index(drop=True)
    by_step = {k: g for k, g in timeseries.groupby("step")}
    for i in range(1, len(ordered) - 1):
        before, pulse, after = ordered.iloc[i - 1], ordered.iloc[i], ordered.iloc[i + 1]
        if (pulse.direction not in ("charge", "discharge") or before.direction != "rest"
                or after.direction != "rest" or pulse.status != "ok" or after.status != "ok"
                or not {before.step, pulse.step, after.step} <= by_step.keys()):
            continue
        p = by_step[pulse.step]
        tau = float(p.time_s.iloc[-1] - p.time_s.iloc[0])
        d_es = float(by_step[after.step].voltage_V.iloc[-1]
                     - by_step[before.step].voltage_V.iloc[-1])
        d_et = float(p.voltage_V.iloc[-1] - p.voltage_V.iloc[0])
        if tau <= 0 or d_et == 0:
            continue
        rows.append({"step": int(pulse.step), "direction": pulse.direction,
                     "stoichiometry": float(p.cathode_stoichiometry.mean()),
                     "voltage_V": float(by_step[after.step].voltage_V.iloc[-1]),
                     "dE_s_V": d_es, "dE_t_V": d_et,
                     "diffusivity_m2_per_s": 4.0 / (np.pi * tau)
                     * (particle_radius_m / 3.0) ** 2 * (d_es / d_et) ** 2})
    return pd.DataFrame(rows, columns=["step", "direction", "stoichiometry", "voltage_V",
                                       "dE_s_V", "dE_t_V", "diffusivity_m2_per_s"])
