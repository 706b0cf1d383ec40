"""How a solved step ended: the proper ends, and :class:`SimulationError` for the others.

PyBaMM returns a partial solution (and only logs) when a solve stops early; nasim classifies
every step's end from PyBaMM's termination text and the step's time series, so that a partial
run is never taken for a result.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from nasim.params.loading import LoadedCell

DEPLETION_FRACTION = 0.01  # c_e below 1 % of its initial value counts as depleted
NEGATIVE_CONCENTRATION_TOLERANCE_MOL_PER_M3 = 1.0  # solver noise allowed below zero
CURRENT_CUTOFF_EVENT = "nasim current cut-off"  # the event CellRunner adds for holds
_VOLTAGE_EVENTS = ("Minimum voltage", "Maximum voltage")
_LIMIT_EVENTS = {
    "Minimum positive particle surface": "cathode particle surface emptied of Na",
    "Maximum positive particle surface": "cathode particle surface full of Na",
    "Minimum negative particle surface": "anode particle surface emptied of Na",
    "Maximum negative particle surface": "anode particle surface full of Na",
}


class SimulationError(RuntimeError):
    """A simulation step that did not reach its cut-off (a ``RuntimeError``).

    ``reason`` says why (solver failure, cut-off reached at once, no cut-off reached,
    electrolyte concentration below zero); ``partial_capacity_mAh_per_g`` is what the step
    delivered before it stopped (mAh per g of cathode active material, None when unknown).
    The command line exits 1 on it.
    """

    def __init__(self, reason: str, partial_capacity_mAh_per_g: float | None = None):
        self.reason = reason
        self.partial_capacity_mAh_per_g = partial_capacity_mAh_per_g
        super().__init__(reason)


#: the temperatures the bundled parameter sets are sourced for (the HEO paper's -20 to 60 degC
#: tests; Chayambuka's electrolyte data at room temperature with Arrhenius laws): outside them
#: the temperature-dependent transport and kinetics are extrapolated
SOURCED_TEMPERATURE_C = (-20.0, 60.0)
#: above this C-rate a solver failure is most likely the current's
HIGH_C_RATE = 2.0


def likely_cause(temperature_C: float | None, c_rate: float | None) -> str:
    """The hint that ends a solver failure's reason: the temperature when it is outside the
    sourced range, else the current when it is high, else the tables' ranges."""
    lo, hi = SOURCED_TEMPERATURE_C
    if temperature_C is not None and not lo <= temperature_C <= hi:
        return (f"likely cause: the temperature, {temperature_C:g} degC is outside the "
                f"{lo:g} to {hi:g} degC the parameters are sourced for, so the transport and "
                f"kinetics there are extrapolated (Arrhenius laws, electrolyte tables)")
    if c_rate is not None and c_rate > HIGH_C_RATE:
        return (f"likely cause: the current, at {c_rate:.3g}C the cell may not be able to "
                f"carry it (try a lower rate or the SPMe/DFN mesh)")
    return ("likely cause: a value outside a table's range (PyBaMM's extrapolation warnings "
            "name the table) or an inconsistent start state")


def solver_failure_reason(exc: Exception, temperature_C: float | None = None,
                          c_rate: float | None = None) -> str:
    """The reason text of a step whose solve raised ``exc`` (a ``pybamm.SolverError``) at
    ``temperature_C`` and ``c_rate``, with its likely cause."""
    text = str(exc)
    if "non-positive at initial conditions" in text:
        return (f"cut-off reached at once: at this current the voltage starts outside the "
                f"window ({text})")
    return (f"solver failure: {text} (the solver could not find a consistent state or take a "
            f"step; {likely_cause(temperature_C, c_rate)})")


def classify_end(termination: str, frame: pd.DataFrame | Mapping[str, np.ndarray],
                 cell: LoadedCell, kind: str, time_limited: bool) -> str:
    """How a step ended; raises :class:`SimulationError` unless the end is a proper one.

    Proper ends: a voltage cut-off, the hold's current cut-off, the particle-surface
    stoichiometry limit (where the OCV diverges: the physical end of the window), or the
    step's own duration/capacity limit. Reaching the voltage cut-off with the electrolyte
    locally emptied (c_e < 1 % of its initial value) is the limiting-current end of a high-rate
    step and is reported as such; a concentration below zero beyond solver noise is an error.
    ``frame`` (a DataFrame or a dict of arrays) needs columns ``capacity_mAh_per_g`` and
    ``electrolyte_concentration_min_mol_per_m3`` [mol/m3].
    """
    capacity = np.asarray(frame["capacity_mAh_per_g"])  # numpy: cheaper than pandas per call
    c_e = np.asarray(frame["electrolyte_concentration_min_mol_per_m3"])
    partial = float(capacity[-1]) if capacity.size else float("nan")
    c_e_min = float(c_e.min())
    c_e0 = cell.electrolyte.concentration.si
    if c_e_min < -NEGATIVE_CONCENTRATION_TOLERANCE_MOL_PER_M3:
        raise SimulationError(
            f"electrolyte depleted: concentration fell to {c_e_min:.3g} mol/m3 (< 0) after "
            f"{partial:.2f} mAh/g; the solution is not physical beyond that point", partial)
    c_e_end = float(c_e[-1])
    depleted = c_e_end < DEPLETION_FRACTION * c_e0  # at the end: what stopped the step
    if any(e in termination for e in _VOLTAGE_EVENTS) or CURRENT_CUTOFF_EVENT in termination:
        if depleted:
            return (f"{termination}, reached with the electrolyte depleted (minimum "
                    f"concentration {c_e_end:.3g} mol/m3): a transport-limited end of {kind}")
        return termination
    for key, text in _LIMIT_EVENTS.items():
        if key in termination:
            return f"{termination} ({text})"
    if "final time" in termination:
        if time_limited:
            return "time or capacity limit reached"
        raise SimulationError(
            f"the {kind} did not reach its cut-off within the time allowed (after "
            f"{partial:.2f} mAh/g); the cut-off is outside what the cell's OCV can reach",
            partial)
    raise SimulationError(f"solver stopped early ({termination}) after {partial:.2f} mAh/g",
                          partial)
