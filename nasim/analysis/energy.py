"""Energy at each level of a cell: cathode active mass, active pair, stack, whole cell.

Pure functions of a discharge time series and a mass budget (the runs that produce the
discharges, :func:`nasim.energy` and :func:`nasim.simulate.energy.ragone`, are in
:mod:`nasim.simulate.energy`).

One discharge gives the energy E = integral V |I| dt [Wh], the capacity Q = integral |I| dt
[mAh] and the mean power P = E / duration [W]; each level divides them by its mass [kg] or
volume [L] from :func:`nasim.params.budget.mass_budget`:

- ``cathode_active``: cathode active mass (volume: the particles' own volume);
- ``active_pair``: cathode + anode active mass (the HEO paper's full-cell convention; in a half
  cell the Na-metal foil is the anode);
- ``stack``: electrodes (active, binder, carbon), current collectors, separator, electrolyte;
- ``cell``: the stack plus packaging (the cell file's ``format``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from nasim.analysis.metrics import cumulative_charge_C
from nasim.params.budget import LEVELS, MassBudget

ENERGY_COLUMNS = ["level", "mass_g", "volume_cm3", "capacity_mAh", "capacity_mAh_per_g",
                  "energy_Wh", "specific_energy_Wh_per_kg", "energy_density_Wh_per_L",
                  "specific_power_W_per_kg", "power_density_W_per_L", "mean_voltage_V",
                  "duration_s"]
#: the per-level quantities of :func:`per_level`
LEVEL_QUANTITIES = ("specific_energy_Wh_per_kg", "energy_density_Wh_per_L",
                    "specific_power_W_per_kg", "power_density_W_per_L")


def discharge_energy(frame: pd.DataFrame) -> dict[str, float]:
    """capacity_mAh, energy_Wh (trapezoid of V |I| over t), duration_s, mean power_W."""
    t = frame.time_s.to_numpy()
    current = np.abs(frame.current_A.to_numpy())
    voltage = frame.voltage_V.to_numpy()
    q_C = float(cumulative_charge_C(t, current)[-1])
    e_J = float(np.sum(0.5 * (voltage[1:] * current[1:] + voltage[:-1] * current[:-1])
                       * np.diff(t)))
    duration = float(t[-1] - t[0])
    return {"capacity_mAh": q_C / 3.6, "energy_Wh": e_J / 3600.0, "duration_s": duration,
            "power_W": e_J / duration if duration > 0 else math.nan}


def per_level(energy_Wh: float, power_W: float, budget: MassBudget) -> dict[str, dict]:
    """The energy per level: for each level of ``budget``, its mass [kg] and volume [L] and
    the specific energy [Wh/kg], energy density [Wh/L], specific power [W/kg] and power
    density [W/L] of one discharge (NaN where the budget lacks that level)."""
    out = {}
    for level in LEVELS:
        m_kg = budget.level_mass_kg[level]
        v_L = budget.level_volume_m3[level] * 1e3
        out[level] = {"mass_kg": m_kg, "volume_L": v_L,
                      "specific_energy_Wh_per_kg": energy_Wh / m_kg,
                      "energy_density_Wh_per_L": energy_Wh / v_L,
                      "specific_power_W_per_kg": power_W / m_kg,
                      "power_density_W_per_L": power_W / v_L}
    return out


def level_metrics(energy_Wh: float, power_W: float, budget: MassBudget,
                  quantities: tuple[str, ...] = LEVEL_QUANTITIES[:3]) -> dict[str, float]:
    """:func:`per_level` as flat columns ``<quantity>_<level>`` (a sweep's row): by default
    the specific energy, energy density and specific power at each level."""
    return {f"{q}_{level}": values[q]
            for level, values in per_level(energy_Wh, power_W, budget).items()
            for q in quantities}


def energy_table(frame: pd.DataFrame, budget: MassBudget) -> pd.DataFrame:
    """One row per level: mass, volume, capacity, energy, specific energy and power, energy
    and power density, from a discharge time series (time_s, current_A, voltage_V)."""
    e = discharge_energy(frame)
    rows = []
    for level, values in per_level(e["energy_Wh"], e["power_W"], budget).items():
        m_kg, v_L = values["mass_kg"], values["volume_L"]
        rows.append({
            "level": level,
            "mass_g": m_kg * 1e3,
            "volume_cm3": v_L * 1e3,
            "capacity_mAh": e["capacity_mAh"],
            "capacity_mAh_per_g": e["capacity_mAh"] / (m_kg * 1e3),
            "energy_Wh": e["energy_Wh"],
            **{q: values[q] for q in LEVEL_QUANTITIES},
            "mean_voltage_V": e["energy_Wh"] / e["capacity_mAh"] * 1e3,
            "duration_s": e["duration_s"],
        })
    return pd.DataFrame(rows, columns=ENERGY_COLUMNS)


__all__ = ["ENERGY_COLUMNS", "LEVEL_QUANTITIES", "discharge_energy", "energy_table",
           "level_metrics", "per_level"]
