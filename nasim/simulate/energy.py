"""Energy runs: the discharges behind the energy table of a cell, like :func:`replay` a way to
run a cell (the per-level arithmetic is :mod:`nasim.analysis.energy`).

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
import pybamm

from nasim.analysis.energy import ENERGY_COLUMNS, discharge_energy, energy_table
from nasim.params.budget import LEVELS, MassBudget, mass_budget
from nasim.params.inventory import sodium_inventory
from nasim.params.loading import LoadedCell, load_cell
from nasim.params.quantities import FARADAY
from nasim.simulate import SimulationError, SimulationResult, simulate

#: rates of the Ragone sweep [mA/g of cathode active mass]
DEFAULT_RAGONE_CURRENTS_mA_PER_G = (10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0)


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
    discharge: SimulationResult
    charge: SimulationResult | None = None
    charge_error: str | None = None
    inventory: dict | None = None
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """Energy, power, mass and volume at each level (``cathode_active``, ``active_pair``,
        ``stack``, ``cell``)."""
        return self.table

    @property
    def solution(self):
        """The PyBaMM solution of the discharge (``.charge.solution`` has the charge's)."""
        return self.discharge.solution

    def mass_budget_frame(self) -> pd.DataFrame:
        """Mass and volume of every component of the cell."""
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
        """What ran, the charge, the sodium inventory and every level's values, as plain
        values (the ``summary.json`` of ``nasim energy``)."""
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
    """Energy at the four levels (cathode active mass, active pair, stack, whole cell) for
    one discharge after the defined charge (CC to the upper cut-off, then CV to equilibrium).

    Parameters
    ----------
    cell
        A loaded cell or the path of a cell file; its ``current_collectors``,
        ``electrolyte_fill`` and ``format`` sections give the stack and cell levels.
    current_mA_per_g
        Discharge current per gram of cathode active material (give this or ``c_rate``).
    c_rate
        Discharge current as a C-rate, 1C as the cell file defines it.
    temperature_C
        Ambient temperature (default: the cell file's); the run is isothermal.
    model
        ``"SPM"``, ``"SPMe"`` or ``"DFN"``.
    simulate_charge
        Also simulate the CC charge (reported in ``charge_summary()``).

    Returns
    -------
    EnergyResult
        The energy table, the mass budget, the discharge (and charge) simulations.

    Raises
    ------
    ValueError
        Not exactly one current, or a current that is not positive.
    SimulationError
        The discharge failed. A failed CC charge is recorded in the result
        (``charge_error``): the discharge starts from the CV-completed state either way.

    Examples
    --------
    >>> result = nasim.energy("parameter_sets/cells/heo_hc_full.yaml", c_rate=1, model="SPMe")
    >>> result.to_frame()[["level", "specific_energy_Wh_per_kg"]]
    """
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
    #: the PyBaMM solution of each discharge that ran, by current (mA/g)
    solutions: dict[float, pybamm.Solution] = field(default_factory=dict)

    @property
    def solution(self) -> list[pybamm.Solution]:
        """The discharges' PyBaMM solutions, in the order of the currents (failed ones left
        out: see :attr:`solutions` for which current each belongs to)."""
        return list(self.solutions.values())

    def to_frame(self) -> pd.DataFrame:
        """One row per (current, level): energy, power, status and error."""
        return self.frame

    def plot(self, ax=None):
        """Specific energy vs specific power at each level (a matplotlib Figure)."""
        from nasim.plots.energy import ragone_plot

        return ragone_plot(self.frame, title=self.cell.name, ax=ax)


def ragone(
    cell: LoadedCell | str | Path,
    currents_mA_per_g: tuple[float, ...] = DEFAULT_RAGONE_CURRENTS_mA_PER_G,
    temperature_C: float | None = None,
    model: str = "DFN",
) -> RagoneResult:
    """Discharges at each current, each from the charged state of :func:`energy`.

    Parameters
    ----------
    cell
        A loaded cell or the path of a cell file.
    currents_mA_per_g
        Discharge currents per gram of cathode active material.
    temperature_C
        Ambient temperature (default: the cell file's).
    model
        ``"SPM"``, ``"SPMe"`` or ``"DFN"``.

    Returns
    -------
    RagoneResult
        One row per (current, level); a rate whose simulation fails has
        ``status = "failed"`` and its ``error`` on every level row, with NaN values.

    Raises
    ------
    ValueError
        No current, or a current that is not positive.

    Examples
    --------
    >>> from nasim.simulate.energy import ragone
    >>> rag = ragone("parameter_sets/cells/heo_hc_full.yaml", (50, 500), model="SPMe")
    >>> rag.plot()
    """
    loaded = cell if isinstance(cell, LoadedCell) else load_cell(cell)
    currents = [_rate_kwargs(c, None)["current_mA_per_g"] for c in currents_mA_per_g]
    if not currents:
        raise ValueError("give at least one current for the Ragone sweep")
    budget = mass_budget(loaded)
    parts, solutions = [], {}
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
        solutions[current] = result.solution
        table = energy_table(result.timeseries, budget)
        table.insert(0, "current_mA_per_g", current)
        table["status"] = "ok"
        table["error"] = ""
        parts.append(table)
    return RagoneResult(loaded, pd.concat(parts, ignore_index=True), solutions)


__all__ = ["DEFAULT_RAGONE_CURRENTS_mA_PER_G", "EnergyResult", "RagoneResult", "energy",
           "ragone"]
