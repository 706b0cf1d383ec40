"""The columns nasim reports for every solve (SI and lab units), from a PyBaMM solution."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pybamm

from nasim.analysis.metrics import cumulative_charge_C
from nasim.params.loading import LoadedCell
from nasim.physics.phases import phase_columns

_OUTPUTS = {
    "time_s": "Time [s]",
    "current_A": "Current [A]",
    "voltage_V": "Voltage [V]",
    "ocv_V": "Battery open-circuit voltage [V]",
    "temperature_C": "Volume-averaged cell temperature [C]",
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

_CORE = ("time_s", "current_A", "voltage_V", "electrolyte_concentration_min_mol_per_m3")


def timeseries(solution: pybamm.Solution, cell: LoadedCell, full: bool = True) -> pd.DataFrame:
    """The solution as a DataFrame in SI and lab units (time and capacity counted from the
    start of the solve). ``full=False`` keeps time, current, voltage, capacity and the minimum
    electrolyte concentration only (what the step metrics and end checks need; for the many
    steps of a long cycling run whose curves are not stored); ``full=True`` adds the OCV,
    stoichiometries, sodium inventory, temperature and the cathode phase columns."""
    names = {k: v for k, v in _OUTPUTS.items() if full or k in _CORE}
    if full and cell.configuration == "full":
        names.update(_ANODE_OUTPUTS)
    data = {}
    for column, var in names.items():
        if column == "time_s":
            entries = np.asarray(solution.t, dtype=float)
            entries = entries - entries[0]  # step time (solver.step continues the clock)
        else:
            entries = np.asarray(solution[var].entries)
        if entries.ndim > 1:  # a field over x: keep its minimum
            entries = entries.min(axis=0)
        data[column] = entries
        if column == "voltage_V":  # capacity columns after time, current and voltage
            charge_C = cumulative_charge_C(data["time_s"], data["current_A"])
            data["capacity_mAh"] = charge_C / 3.6
            data["capacity_mAh_per_g"] = data["capacity_mAh"] / (
                cell.design.cathode_active_mass_kg * 1e3)
    frame = pd.DataFrame(data)
    if not full:
        return frame
    frame["sodium_total_mol"] = frame.sodium_in_particles_mol + frame.sodium_in_electrolyte_mol
    if cell.cathode.phase_map is not None:
        columns = phase_columns(cell.cathode.phase_map,
                                np.asarray(solution["Positive particle stoichiometry"].entries),
                                np.asarray(solution["Positive particle surface stoichiometry"]
                                           .entries))
        for name, values in columns.items():
            frame[name] = values
    return frame


_ACTIVE_FRACTION = "X-averaged positive electrode active material volume fraction"
_SEI_LOSS = "Loss of capacity to negative SEI [A.h]"


def aging_state(state: pybamm.Solution, cell: LoadedCell, mechanisms) -> dict:
    """The aging state at the end of ``state``: cathode active material left (fraction of the
    design's) and, with SEI growth, the capacity lost to the anode's SEI [mAh/g of cathode]."""
    out = {"active_material_fraction": float(state[_ACTIVE_FRACTION].entries[-1])
           / cell.design.cathode.active_volume_fraction}
    if "sei" in mechanisms:
        out["sodium_lost_to_sei_mAh_per_g"] = (float(state[_SEI_LOSS].entries[-1]) * 1e3
                                               / (cell.design.cathode_active_mass_kg * 1e3))
    return out
