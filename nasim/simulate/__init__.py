"""Running PyBaMM on a loaded cell: one constant-current charge or discharge across the window.

PyBaMM returns a partial solution (and only logs) when a solve fails part-way; nasim checks how
every solve ended and raises :class:`SimulationError` with the reason unless it ended at the
voltage cut-off (or at the particle stoichiometry limit, where the OCV diverges: the physical
end of the window). A partial run is never returned as a result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pybamm

from nasim.analysis.metrics import cumulative_charge_C, step_metrics
from nasim.params.loading import LoadedCell, load_cell
from nasim.params.pybamm_values import to_parameter_values
from nasim.physics import build_model, set_initial_state
from nasim.physics.models import MODEL_NAMES
from nasim.physics.phases import phase_columns, phase_sequence

Direction = Literal["discharge", "charge"]
OUTPUT_POINTS = 1200  # output times over the allowed duration (the run stops at its cut-off)


class SimulationError(RuntimeError):
    """A simulation that did not reach its cut-off; ``reason`` says why."""

    def __init__(self, reason: str, partial_capacity_mAh_per_g: float | None = None):
        self.reason = reason
        self.partial_capacity_mAh_per_g = partial_capacity_mAh_per_g
        super().__init__(reason)


@dataclass
class SimulationResult:
    """A finished simulation: the time series (SI and lab units) and what produced it."""

    cell: LoadedCell
    model: str
    direction: Direction
    current_A: float
    c_rate: float
    temperature_K: float
    termination: str
    timeseries: pd.DataFrame
    initial_stoichiometry: dict[str, float] = field(default_factory=dict)
    solve_time_s: float = 0.0

    def to_frame(self) -> pd.DataFrame:
        return self.timeseries

    @property
    def metrics(self) -> dict:
        return step_metrics(self.timeseries, self.cell.design.cathode_active_mass_kg,
                            self.cell.design.anode_active_mass_kg)

    def phase_summary(self) -> dict:
        """``phase_sequence`` (order in which phases first exceed 50 %, particle-averaged) and
        ``max_volume_change`` (largest |V/V_pristine - 1|); empty without a phase map."""
        frame = self.timeseries
        if "volume_change" not in frame:
            return {}
        fractions = {c.removeprefix("phase_fraction_"): frame[c].to_numpy()
                     for c in frame.columns if c.startswith("phase_fraction_")}
        return {"phase_sequence": phase_sequence(fractions),
                "max_volume_change": float(np.max(np.abs(frame.volume_change)))}

    def summary(self) -> dict:
        return {
            "cell": str(self.cell.path),
            "model": self.model,
            "direction": self.direction,
            "c_rate": self.c_rate,
            "current_A": self.current_A,
            "current_mA_per_g": self.current_A / self.cell.design.cathode_active_mass_kg,
            "temperature_C": self.temperature_K - 273.15,
            "termination": self.termination,
            "initial_stoichiometry": self.initial_stoichiometry,
            **self.metrics,
            **self.phase_summary(),
        }

    def plot(self, ax=None):
        from nasim.plots import voltage_capacity

        return voltage_capacity([self], ax=ax)


_OUTPUTS = {
    "time_s": "Time [s]",
    "current_A": "Current [A]",
    "voltage_V": "Voltage [V]",
    "ocv_V": "Battery open-circuit voltage [V]",
    "cathode_stoichiometry": "Average positive particle stoichiometry",
    "cathode_surface_stoichiometry": "X-averaged positive particle surface stoichiometry",
    "electrolyte_concentration_min_mol_per_m3": "Electrolyte concentration [mol.m-3]",
    "sodium_in_particles_mol": "Total lithium in particles [mol]",
    "sodium_in_electrolyte_mol": "Total lithium in electrolyte [mol]",
}
_ANODE_OUTPUTS = {
    "anode_stoichiometry": "Average negative particle stoichiometry",
    "anode_surface_stoichiometry": "X-averaged negative particle surface stoichiometry",
}
_OK_EVENTS = ("Minimum voltage", "Maximum voltage")
_LIMIT_EVENTS = {
    "Minimum positive particle surface": "cathode particle surface emptied of Na",
    "Maximum positive particle surface": "cathode particle surface full of Na",
    "Minimum negative particle surface": "anode particle surface emptied of Na",
    "Maximum negative particle surface": "anode particle surface full of Na",
}


def _timeseries(solution: pybamm.Solution, cell: LoadedCell) -> pd.DataFrame:
    names = dict(_OUTPUTS)
    if cell.configuration == "full":
        names.update(_ANODE_OUTPUTS)
    data = {}
    for column, var in names.items():
        entries = np.asarray(solution[var].entries)
        if entries.ndim > 1:  # a field over x: keep its minimum
            entries = entries.min(axis=0)
        data[column] = entries
    frame = pd.DataFrame(data)
    charge_C = cumulative_charge_C(frame.time_s.to_numpy(), frame.current_A.to_numpy())
    mass_g = cell.design.cathode_active_mass_kg * 1e3
    frame.insert(3, "capacity_mAh", charge_C / 3.6)
    frame.insert(4, "capacity_mAh_per_g", frame.capacity_mAh / mass_g)
    frame["sodium_total_mol"] = frame.sodium_in_particles_mol + frame.sodium_in_electrolyte_mol
    if cell.cathode.phase_map is not None:
        columns = phase_columns(cell.cathode.phase_map,
                                np.asarray(solution["Positive particle stoichiometry"].entries),
                                np.asarray(solution["Positive particle surface stoichiometry"]
                                           .entries))
        for name, values in columns.items():
            frame[name] = values
    return frame


DEPLETION_FRACTION = 0.01  # c_e below 1 % of its initial value counts as depleted
NEGATIVE_CONCENTRATION_TOLERANCE_MOL_PER_M3 = 1.0  # solver noise allowed below zero


def _check_termination(solution: pybamm.Solution, frame: pd.DataFrame, cell: LoadedCell,
                       direction: str) -> str:
    """How the run ended; raises :class:`SimulationError` unless it ended at a physical limit.

    Ending at the voltage cut-off while the electrolyte is locally emptied (minimum c_e below
    1 % of its initial value) is the limiting-current end of a high-rate run: the run counts as
    complete and the termination says so. A concentration below zero beyond solver noise means
    the solution is no longer physical and is an error.
    """
    term = str(solution.termination)
    partial = float(frame.capacity_mAh_per_g.iloc[-1]) if len(frame) else float("nan")
    c_e_min = float(frame.electrolyte_concentration_min_mol_per_m3.min())
    c_e0 = cell.electrolyte.concentration.si
    if c_e_min < -NEGATIVE_CONCENTRATION_TOLERANCE_MOL_PER_M3:
        raise SimulationError(
            f"electrolyte depleted: concentration fell to {c_e_min:.3g} mol/m3 (< 0) after "
            f"{partial:.2f} mAh/g; the solution is not physical beyond that point", partial)
    if any(e in term for e in _OK_EVENTS):
        if c_e_min < DEPLETION_FRACTION * c_e0:
            return (f"{term}, reached with the electrolyte depleted (minimum concentration "
                    f"{c_e_min:.3g} mol/m3): a transport-limited end of {direction}")
        return term
    for key, text in _LIMIT_EVENTS.items():
        if key in term:
            return f"{term} ({text})"
    if "final time" in term:
        reason = (f"the {direction} did not reach the voltage cut-off within the time allowed "
                  f"(after {partial:.2f} mAh/g); the cell window is inconsistent with its OCV")
    else:
        reason = f"solver stopped early ({term}) after {partial:.2f} mAh/g"
    raise SimulationError(reason, partial)


def _solver_failure_reason(exc: Exception) -> str:
    text = str(exc)
    if "non-positive at initial conditions" in text:
        return (f"cut-off reached at once: at this current the voltage starts outside the "
                f"window ({text})")
    return f"solver failure: {text}"


def simulate(
    cell: LoadedCell | str | Path,
    *,
    model: str = "DFN",
    c_rate: float | None = None,
    current_mA_per_g: float | None = None,
    current_A: float | None = None,
    direction: Direction = "discharge",
    temperature_C: float | None = None,
    mesh_points: int | None = None,
    initial_soc: float | None = None,
) -> SimulationResult:
    """Run one constant-current ``direction`` across the cell's voltage window.

    Give exactly one of ``c_rate`` (1C as defined by the cell file, e.g. 150 mA/g for the HEO
    paper), ``current_mA_per_g`` (per cathode active mass) or ``current_A``. The run starts from
    the matching end state (charged for a discharge, discharged for a charge) unless
    ``initial_soc`` says otherwise. ``temperature_C`` overrides the cell's ambient temperature
    (isothermal). ``mesh_points`` sets the points per domain and in each particle (default
    PyBaMM's).
    """
    from nasim.params.design import one_c_current_A

    loaded = cell if isinstance(cell, LoadedCell) else load_cell(cell)
    if model not in MODEL_NAMES:
        raise ValueError(f"model {model!r}: expected one of {', '.join(MODEL_NAMES)}")
    if direction not in ("discharge", "charge"):
        raise ValueError(f"direction {direction!r}: expected 'discharge' or 'charge'")
    given = [v for v in (c_rate, current_mA_per_g, current_A) if v is not None]
    if len(given) != 1:
        raise ValueError("give exactly one of c_rate, current_mA_per_g or current_A")
    one_c = one_c_current_A(loaded.cell, loaded.design)
    if c_rate is not None:
        current = c_rate * one_c
    elif current_mA_per_g is not None:
        current = current_mA_per_g * loaded.design.cathode_active_mass_kg  # mA/g = A/kg
    else:
        current = current_A
    if not np.isfinite(current) or current <= 0:
        raise ValueError(f"current must be a positive finite number (got {current} A)")

    values = to_parameter_values(loaded)
    temperature_K = (loaded.cell.ambient_temperature.si if temperature_C is None
                     else temperature_C + 273.15)
    if temperature_K <= 0:
        raise ValueError(f"temperature {temperature_C} degC is below absolute zero")
    values["Ambient temperature [K]"] = temperature_K
    values["Initial temperature [K]"] = temperature_K
    soc = (1.0 if direction == "discharge" else 0.0) if initial_soc is None else initial_soc
    initial = set_initial_state(loaded, values, soc)
    values["Current function [A]"] = current if direction == "discharge" else -current

    pybamm_model = build_model(model, loaded.configuration)
    var_pts = None
    if mesh_points is not None:
        var_pts = {k: mesh_points for k in ("x_n", "x_s", "x_p", "r_n", "r_p")}
    sim = pybamm.Simulation(pybamm_model, parameter_values=values,
                            solver=pybamm.IDAKLUSolver(), var_pts=var_pts)
    hours = loaded.design.window_capacity_Ah / current
    t_end = 3600.0 * (1.5 * hours) + 600.0
    try:
        solution = sim.solve([0.0, t_end], t_interp=np.linspace(0.0, t_end, OUTPUT_POINTS))
    except pybamm.SolverError as exc:
        raise SimulationError(_solver_failure_reason(exc)) from None
    frame = _timeseries(solution, loaded)
    termination = _check_termination(solution, frame, loaded, direction)
    return SimulationResult(
        cell=loaded, model=model, direction=direction, current_A=current,
        c_rate=current / one_c, temperature_K=temperature_K, termination=termination,
        timeseries=frame, initial_stoichiometry=initial,
        solve_time_s=float(solution.solve_time.value),
    )
