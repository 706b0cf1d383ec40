"""Capacity, median and mean voltage, specific energy and power of one charge or discharge.

Definitions (per cathode active mass m_c, and per cathode + anode active mass for full cells):
- capacity Q = |integral I dt|;
- median voltage: the voltage at Q/2 (half the delivered capacity), as in the HEO paper;
- mean voltage = (integral V |I| dt) / Q;
- specific energy = integral V |I| dt / m; specific power = energy / duration.
- differential capacity dQ/dV: capacity per voltage bin over the bin width.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x)))


def cumulative_charge_C(time_s: np.ndarray, current_A: np.ndarray) -> np.ndarray:
    """Charge passed since the start, |integral I dt| by the trapezoid rule [C]."""
    current = np.abs(np.asarray(current_A, dtype=float))
    return np.concatenate([[0.0], np.cumsum(0.5 * (current[1:] + current[:-1])
                                            * np.diff(np.asarray(time_s, dtype=float)))])


def step_metrics(frame: pd.DataFrame | Mapping[str, np.ndarray], cathode_mass_kg: float,
                 anode_mass_kg: float = 0.0) -> dict:
    """Metrics of one constant-current step from columns time_s [s], current_A [A],
    voltage_V [V] (of a DataFrame or a dict of arrays)."""
    t = np.asarray(frame["time_s"], dtype=float)
    current = np.abs(np.asarray(frame["current_A"], dtype=float))
    voltage = np.asarray(frame["voltage_V"], dtype=float)
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


def differential_capacity(frame: pd.DataFrame, bin_V: float = 0.01) -> pd.DataFrame:
    """dQ/dV of one charge or discharge, binned in voltage.

    Between consecutive rows the curve is taken as linear: the capacity passed in that interval
    (column ``capacity_mAh_per_g``) is spread evenly over the voltages it spans and collected in
    voltage bins of width ``bin_V``; dQ/dV of a bin is its capacity over ``bin_V``. This needs
    no smoothing, keeps the area (the sum of dQ/dV x ``bin_V`` is the step's capacity), does not
    depend on how densely the rows sample the curve and tolerates a voltage that is not
    strictly monotonic. Returns columns ``voltage_V`` (bin centres, increasing) and
    ``dQdV_mAh_per_g_per_V`` (>= 0 for charge and discharge alike).
    """
    if not bin_V > 0:
        raise ValueError(f"bin_V must be > 0 (got {bin_V})")
    voltage = frame.voltage_V.to_numpy(dtype=float)
    capacity = frame.capacity_mAh_per_g.to_numpy(dtype=float)
    if len(voltage) < 2:
        raise ValueError("differential_capacity needs at least two rows")
    a = np.minimum(voltage[1:], voltage[:-1])[:, None]
    b = np.maximum(voltage[1:], voltage[:-1])[:, None]
    dq = np.abs(np.diff(capacity))[:, None]
    lo = np.floor(a.min() / bin_V) * bin_V
    n_bins = max(1, int(np.ceil((b.max() - lo) / bin_V + 1e-9)))
    edges = (lo + bin_V * np.arange(n_bins + 1))[None, :]
    # share of each interval's capacity below each edge (a step where the voltage is constant)
    span = b - a
    below = np.where(span > 0, np.clip((edges - a) / np.where(span > 0, span, 1.0), 0.0, 1.0),
                     (edges >= a).astype(float))
    cumulative = np.sum(dq * below, axis=0)
    return pd.DataFrame({"voltage_V": 0.5 * (edges[0, 1:] + edges[0, :-1]),
                         "dQdV_mAh_per_g_per_V": np.diff(cumulative) / bin_V})


def differential_capacity_smooth(frame: pd.DataFrame, points: int = 400,
                                 window: int = 21) -> pd.DataFrame:
    """dQ/dV of one charge or discharge without binning staircases.

    The voltage is interpolated onto ``points`` evenly spaced capacities (the capacity grows
    monotonically through a step, so V(Q) is a function even where the voltage is flat), its
    derivative dV/dQ is taken with a Savitzky-Golay filter (cubic, ``window`` points) and
    inverted. Plateaus give tall, smooth peaks instead of the empty and full bins of
    :func:`differential_capacity` on a sparse time series. Returns ``voltage_V`` (in the
    step's order) and ``dQdV_mAh_per_g_per_V`` (>= 0, NaN where the voltage does not move).
    """
    from scipy.signal import savgol_filter

    capacity = frame.capacity_mAh_per_g.to_numpy(dtype=float)
    voltage = frame.voltage_V.to_numpy(dtype=float)
    order = np.argsort(capacity, kind="stable")
    capacity, voltage = capacity[order], voltage[order]
    keep = np.concatenate([[True], np.diff(capacity) > 0])
    capacity, voltage = capacity[keep], voltage[keep]
    if len(capacity) < 4:
        raise ValueError("differential_capacity_smooth needs at least four distinct capacities")
    grid = np.linspace(capacity[0], capacity[-1], points)
    v = np.interp(grid, capacity, voltage)
    window = min(window, points - (1 - points % 2))
    dv_dq = savgol_filter(v, window, 3, deriv=1, delta=grid[1] - grid[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        dq_dv = np.where(np.abs(dv_dq) > 1e-12, 1.0 / np.abs(dv_dq), np.nan)
    return pd.DataFrame({"voltage_V": v, "dQdV_mAh_per_g_per_V": dq_dv})
