"""Energy at each level of a cell: cathode active mass, active pair, stack, whole cell.

One discharge gives the energy E = integral V |I| dt [Wh], the capacity Q = integral |I| dt
[mAh] and the mean power P = E / duration [W]; each level divides them by its mass [kg] or
volume [L] from :func:`nasim.params.budget.mass_budget`:

- ``cathode_active``: cathode active mass (volume: the particles' own volume);
- ``active_pair``: cathode + anode active mass (the HEO paper's full-cell convention; in a half
  cell the Na-metal foil is the anode);
- ``stack``: electrodes (active, binder, carbon), current collectors, separator, electrolyte;
- ``cell``: the stack plus packaging (the cell file's ``format``).

Charge definition (:func:`energy`): the discharge starts from the charged state reached by a
constant-current charge to the upper cut-off followed by a constant-voltage hold there until the
current has decayed to zero, i.e. the equilibrium state whose OCV is the upper cut-off (the state
``nasim.simulate(direction="discharge")`` starts from; for a full cell PyBaMM's electrode-SOH
solver with the cell's Na inventory after its first cycle, see :mod:`nasim.params.inventory`).
The constant-current part is simulated at the discharge current with
``nasim.simulate(direction="charge")`` from the discharged equilibrium state; the CV hold's
charge is the rest of the equilibrium window. Both are reported; only the discharge enters the
energy table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from nasim.analysis.metrics import cumulative_charge_C
from nasim.params.budget import LEVELS, MassBudget, mass_budget
from nasim.params.inventory import sodium_inventory
from nasim.params.loading import LoadedCell, load_cell
from nasim.params.quantities import FARADAY

#: rates of the Ragone sweep [mA/g of cathode active mass]
DEFAULT_RAGONE_CURRENTS_mA_PER_G = (10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0)

ENERGY_COLUMNS = ["level", "mass_g", "volume_cm3", "capacity_mAh", "capacity_mAh_per_g",
                  "energy_Wh", "specific_energy_Wh_per_kg", "energy_density_Wh_per_L",
                  "specific_power_W_per_kg", "power_density_W_per_L", "mean_voltage_V",
                  "duration_s"]


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


def energy_table(frame: pd.DataFrame, budget: MassBudget) -> pd.DataFrame:
    """One row per level: mass, volume, capacity, energy, specific energy and power, energy
    and power density, from a discharge time series (time_s, current_A, voltage_V)."""
    e = discharge_energy(frame)
    rows = []
    for level in LEVELS:
        m_kg = budget.level_mass_kg[level]
        v_L = budget.level_volume_m3[level] * 1e3
        rows.append({
            "level": level,
            "mass_g": m_kg * 1e3,
            "volume_cm3": v_L * 1e3,
            "capacity_mAh": e["capacity_mAh"],
            "capacity_mAh_per_g": e["capacity_mAh"] / (m_kg * 1e3),
            "energy_Wh": e["energy_Wh"],
            "specific_energy_Wh_per_kg": e["energy_Wh"] / m_kg,
            "energy_density_Wh_per_L": e["energy_Wh"] / v_L,
            "specific_power_W_per_kg": e["power_W"] / m_kg,
            "power_density_W_per_L": e["power_W"] / v_L,
            "mean_voltage_V": e["energy_Wh"] / e["capacity_mAh"] * 1e3,
            "duration_s": e["duration_s"],
        })
    return pd.DataFrame(rows, columns=ENERGY_COLUMNS)


def _rate_kwargs(current_mA_per_g: float | None, c_rate: float | None) -> dict:
    given = [v for v in (current_mA_per_g, c_rate) if v is not None]
    if len(given) != 1:
        raise ValueError("give exactly one of current_mA_per_g or c_rate")
    value = given[0]
    if isinstance(value, bool) or not np.isfinite(value) or value <= 0:
        raise ValueError(f"the current must be a positive finite number (got {value})")
    return ({"current_mA_per_g": float(current_mA_per_g)} if current_mA_per_g is not None
            else {"c_rate": float(c_rate)})


@dataclass
class EnergyResult:
    """Energy at each level for one discharge after the defined charge (see module doc)."""

    cell: LoadedCell
    budget: MassBudget
    table: pd.DataFrame
    discharge: object  # nasim.simulate.SimulationResult
    charge: object | None = None
    charge_error: str | None = None
    inventory: dict | None = None
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def mass_budget_frame(self) -> pd.DataFrame:
        return self.budget.to_frame()

    def charge_summary(self) -> dict:
        """The CC charge (simulated) and the CV hold's charge (the rest of the equilibrium
        window, from the stoichiometries of the discharged and charged equilibrium states)."""
        out: dict = {"definition": (
            "CC charge at the discharge current from the discharged equilibrium state (OCV = "
            "lower cut-off) to the upper cut-off, then a CV hold at the upper cut-off until the "
            "current is zero (equilibrium: OCV = upper cut-off); the discharge starts there")}
        d = self.discharge
        cat = self.cell.design.cathode
        c_c = cat.sites_mol_per_m2 * self.cell.design.area_m2
        x_charged = d.initial_stoichiometry["cathode"]
        if self.charge is not None:
            x_discharged = self.charge.initial_stoichiometry["cathode"]
            cccv_mAh = (x_discharged - x_charged) * c_c * FARADAY / 3.6
            cc = discharge_energy(self.charge.timeseries)
            out.update({
                "cc_charge_capacity_mAh": cc["capacity_mAh"],
                "cc_charge_energy_Wh": cc["energy_Wh"],
                "cc_charge_termination": self.charge.termination,
                "cv_hold_capacity_mAh": cccv_mAh - cc["capacity_mAh"],
                "charge_capacity_mAh": cccv_mAh,
            })
        else:
            out["cc_charge_error"] = self.charge_error
        return out

    def summary(self) -> dict:
        d = self.discharge
        levels = {row.level: {k: (None if isinstance(v, float) and math.isnan(v) else v)
                              for k, v in row._asdict().items() if k != "level"}
                  for row in self.table.itertuples(index=False)}
        order = [levels[k]["specific_energy_Wh_per_kg"] for k in LEVELS]
        return {
            "cell": str(self.cell.path),
            "configuration": self.cell.configuration,
            "model": d.model,
            "current_A": d.current_A,
            "current_mA_per_g": d.current_A / self.cell.design.cathode_active_mass_kg,
            "c_rate": d.c_rate,
            "temperature_C": d.temperature_K - 273.15,
            "discharge_termination": d.termination,
            "initial_stoichiometry": d.initial_stoichiometry,
            "charge": self.charge_summary(),
            "sodium_inventory": self.inventory,
            "levels": levels,
            "level_order_ok": (all(v is not None for v in order)
                               and all(a > b for a, b in zip(order, order[1:], strict=False))),
            "missing_budget_fields": self.budget.missing,
            "notes": self.notes,
        }

    def plot(self, ax=None):
        """Voltage vs capacity of the discharge (matplotlib Figure)."""
        return self.discharge.plot(ax=ax)


def energy(
    cell: LoadedCell | str | Path,
    current_mA_per_g: float | None = None,
    c_rate: float | None = None,
    temperature_C: float | None = None,
    model: str = "DFN",
    *,
    simulate_charge: bool = True,
) -> EnergyResult:
    """Energy at the four levels for one discharge after the defined charge (module doc).

    Give exactly one of ``current_mA_per_g`` (per g of cathode active mass) or ``c_rate`` (1C
    as the cell file defines it). Raises ``ValueError`` on bad input and
    ``nasim.SimulationError`` when the discharge fails. A failed CC charge is recorded in the
    result (``charge_error``): the discharge starts from the CV-completed state either way.
    """
    from nasim.simulate import SimulationError, simulate

    loaded = cell if isinstance(cell, LoadedCell) else load_cell(cell)
    rate = _rate_kwargs(current_mA_per_g, c_rate)
    budget = mass_budget(loaded)
    charge = charge_error = None
    if simulate_charge:
        try:
            charge = simulate(loaded, model=model, direction="charge",
                              temperature_C=temperature_C, **rate)
        except SimulationError as exc:
            charge_error = exc.reason
    discharge = simulate(loaded, model=model, direction="discharge",
                         temperature_C=temperature_C, **rate)
    table = energy_table(discharge.timeseries, budget)
    inventory = sodium_inventory(loaded)
    notes = []
    if loaded.configuration == "half":
        notes.append("half cell: the Na-metal foil counts as the anode (active_pair and stack)")
    if budget.missing:
        notes.append("stack/cell levels need: " + ", ".join(budget.missing))
    return EnergyResult(loaded, budget, table, discharge, charge, charge_error,
                        None if inventory is None else inventory.to_dict(), notes)


@dataclass
class RagoneResult:
    """Energy at each level over a range of discharge currents; failed rates keep their reason."""

    cell: LoadedCell
    frame: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.frame

    def plot(self, ax=None):
        from nasim.plots.energy import ragone_plot

        return ragone_plot(self.frame, title=self.cell.name, ax=ax)


def ragone(
    cell: LoadedCell | str | Path,
    currents_mA_per_g: tuple[float, ...] = DEFAULT_RAGONE_CURRENTS_mA_PER_G,
    temperature_C: float | None = None,
    model: str = "DFN",
) -> RagoneResult:
    """Discharges at each current (mA/g of cathode active mass), each from the charged state
    of :func:`energy`; one row per (current, level). A rate whose simulation fails gets
    ``status = "failed"`` and its ``error`` on every level row, with NaN values."""
    from nasim.simulate import SimulationError, simulate

    loaded = cell if isinstance(cell, LoadedCell) else load_cell(cell)
    currents = [_rate_kwargs(c, None)["current_mA_per_g"] for c in currents_mA_per_g]
    if not currents:
        raise ValueError("give at least one current for the Ragone sweep")
    budget = mass_budget(loaded)
    parts = []
    for current in currents:
        try:
            result = simulate(loaded, model=model, current_mA_per_g=current,
                              temperature_C=temperature_C)
        except SimulationError as exc:
            failed = pd.DataFrame({"level": list(LEVELS)})
            for col in ENERGY_COLUMNS[1:]:
                failed[col] = math.nan
            failed.insert(0, "current_mA_per_g", current)
            failed["status"] = "failed"
            failed["error"] = exc.reason
            parts.append(failed)
            continue
        table = energy_table(result.timeseries, budget)
        table.insert(0, "current_mA_per_g", current)
        table["status"] = "ok"
        table["error"] = ""
        parts.append(table)
    return RagoneResult(loaded, pd.concat(parts, ignore_index=True))


__all__ = ["DEFAULT_RAGONE_CURRENTS_mA_PER_G", "EnergyResult", "RagoneResult",
           "discharge_energy", "energy", "energy_table", "ragone"]
