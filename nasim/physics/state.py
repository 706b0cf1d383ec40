"""Initial states: the electrode stoichiometries at which a simulation starts.

Half cell: the cathode stoichiometry x with U(x) = V (the upper cut-off for a charged cell, the
lower for a discharged one), found by bracketing root search on the cathode OCV. PyBaMM's
half-cell SOC solver can return a wrong stoichiometry on OCVs with flat plateaus near the
cut-offs (see ../shared/pybamm-26.10-notes.md), so nasim solves this one-dimensional problem
itself and checks U(x) afterwards.

Full cell: PyBaMM's electrode state-of-health solver (``ParameterValues.set_initial_state``),
which keeps the cyclable sodium inventory of the initial concentrations and places both
electrodes at the cut-off voltage; nasim checks U_p - U_n afterwards.
"""

from __future__ import annotations

import numpy as np
import pybamm
from scipy.optimize import brentq

from nasim.params.loading import LoadedCell
from nasim.params.pybamm_values import evaluate_state

VOLTAGE_TOLERANCE_V = 5e-3


class StateError(ValueError):
    """The requested initial state cannot be reached with the cell's OCVs and window."""


def _ocv_domain(fn) -> tuple[float, float]:
    if fn.table is not None:
        return float(fn.table.x_si[0]), float(fn.table.x_si[-1])
    if fn.closed_form is not None:
        x, _ = fn.closed_form.tabulate()
        return float(x[0]), float(x[-1])
    return 0.0, 1.0


def cathode_stoichiometry_at(loaded: LoadedCell, voltage_V: float) -> float:
    """x with U_cathode(x) = voltage_V (half cell vs Na metal, whose OCP is 0 V)."""
    ocp = loaded.cathode.open_circuit_potential
    lo, hi = _ocv_domain(ocp)
    grid = np.linspace(lo, hi, 400)
    u = evaluate_state(ocp, "stoichiometry", grid) - voltage_V
    sign_change = np.nonzero(np.sign(u[:-1]) != np.sign(u[1:]))[0]
    if len(sign_change) == 0:
        raise StateError(
            f"{loaded.path.name}: the cathode OCV of {loaded.cathode.name} spans "
            f"{u.min() + voltage_V:.3f}-{u.max() + voltage_V:.3f} V and never reaches "
            f"{voltage_V:.3f} V"
        )
    i = int(sign_change[0])

    def f(x):
        return float(evaluate_state(ocp, "stoichiometry", [x])[0]) - voltage_V

    return brentq(f, grid[i], grid[i + 1], xtol=1e-12)


def set_initial_state(loaded: LoadedCell, values: pybamm.ParameterValues, soc: float) -> dict:
    """Move ``values`` to the state of charge ``soc`` (1: at the upper cut-off, 0: at the lower).

    Returns the cathode (and anode) stoichiometries that were set.
    """
    window = loaded.cell.voltage_window
    target = window.upper.si if soc >= 0.5 else window.lower.si
    if soc not in (0.0, 1.0):
        raise StateError(f"soc {soc}: only 0 (discharged) and 1 (charged) are supported")
    c_max_p = loaded.design.cathode.maximum_concentration_mol_per_m3
    if loaded.configuration == "half":
        x = cathode_stoichiometry_at(loaded, target)
        values["Initial concentration in positive electrode [mol.m-3]"] = x * c_max_p
        return {"cathode": x}
    init = loaded.cell.initial_stoichiometry
    if soc == 1.0 and init is not None:
        # the published charged state fixes the inventory: start exactly there
        return {"cathode": init.cathode.si, "anode": init.anode.si}
    values.set_initial_state(soc)
    c_max_n = loaded.design.anode.maximum_concentration_mol_per_m3
    x = values["Initial concentration in positive electrode [mol.m-3]"] / c_max_p
    y = values["Initial concentration in negative electrode [mol.m-3]"] / c_max_n
    u = (evaluate_state(loaded.cathode.open_circuit_potential, "stoichiometry", [x])[0]
         - evaluate_state(loaded.anode.open_circuit_potential, "stoichiometry", [y])[0])
    if abs(u - target) > VOLTAGE_TOLERANCE_V:
        raise StateError(
            f"{loaded.path.name}: the sodium inventory cannot bring the cell to {target:.3f} V "
            f"(PyBaMM's state solver gave x={x:.4f}, y={y:.4f}, OCV {u:.3f} V)"
        )
    return {"cathode": x, "anode": y}
