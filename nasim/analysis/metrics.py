"""Capacity, median and mean voltage, specific energy and power of one charge or discharge.

Definitions (per cathode active mass m_c, and per cathode + anode active mass for full cells):
- capacity Q = |integral I dt|;
- median voltage: the voltage at Q/2 (half the delivered capacity), as in the HEO paper;
- mean voltage = (integral V |I| dt) / Q;
- specific energy = integral V |I| dt / m; specific power = energy / duration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x)))


def cumulative_charge_C(time_s: np.ndarray, current_A: np.ndarray) -> np.ndarray:
    """Charge passed since the start, |integral I dt| by the trapezoid rule [C]."""
    current = np.abs(np.asarray(current_A, dtype=float))
    return np.concatenate([[0.0], np.cumsum(0.5 * (current[1:] + current[:-1])
                                            * np.diff(np.asarray(time_s, dtype=float)))])


def step_metrics(frame: pd.DataFrame, cathode_mass_kg: float, anode_mass_kg: float = 0.0) -> dict:
    """Metrics of one constant-current step from columns time_s, current_A, voltage_V."""
    t = frame.time_s.to_numpy()
    current = np.abs(frame.current_A.to_numpy())
    voltage = frame.voltage_V.to_numpy()
    charge_C = cumulative_charge_C(t, current)
    q_C = float(charge_C[-1])
    energy_J = _trapezoid(voltage * current, t)
    duration_s = float(t[-1] - t[0])
    median = float(np.interp(q_C / 2.0, charge_C, voltage)) if q_C > 0 else float("nan")
    cathode_g = cathode_mass_kg * 1e3
    out = {
        "capacity_mAh": q_C / 3.6,
        "capacity_mAh_per_g": q_C / 3.6 / cathode_g,
        "median_voltage_V": median,
        "mean_voltage_V": energy_J / q_C if q_C > 0 else float("nan"),
        "specific_energy_Wh_per_kg_cathode": energy_J / 3600.0 / cathode_mass_kg,
        "specific_power_W_per_kg_cathode": (energy_J / duration_s / cathode_mass_kg
                                            if duration_s > 0 else float("nan")),
        "duration_s": duration_s,
    }
    if anode_mass_kg > 0:
        pair_kg = cathode_mass_kg + anode_mass_kg
        out["specific_energy_Wh_per_kg_active"] = energy_J / 3600.0 / pair_kg
        out["specific_power_W_per_kg_active"] = energy_J / duration_s / pair_kg
    return out
