"""Initial states: the electrode stoichiometries at which a simulation starts.

Half cell: the cathode stoichiometry x with U(x) = V (the upper cut-off for a charged cell, the
lower for a discharged one), found by bracketing root search on the cathode OCV. PyBaMM's
half-cell SOC solver can return a wrong stoichiometry on OCVs with flat plateaus near the
cut-offs (seen with PyBaMM 26.10 on the bundled cathode OCVs), so nasim solves this
one-dimensional problem itself and checks U(x) afterwards.

Full cell: PyBaMM's electrode state-of-health solver (``ParameterValues.set_initial_state``),
which keeps the cyclable sodium inventory of the initial concentrations and places both
electrodes at the cut-off voltage; nasim checks U_p - U_n afterwards. Its equations involve
the electrode capacities Q_n, Q_p and the inventory Q_Li only through their ratios (they are
homogeneous of degree one in them), so cells that differ only in the scale of both electrodes
(the loading at a fixed N/P, the area) have the same stoichiometries: given a ``memo`` shared
by cells with the same materials, :func:`set_initial_state` solves each such problem once.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pybamm
from scipy.optimize import brentq

from nasim.params.loading import LoadedCell
from nasim.params.names import INITIAL_STATES, STATE_OF_CHARGE, InitialState, check_name
from nasim.physics.values import evaluate_state

VOLTAGE_TOLERANCE_V = 5e-3
#: PyBaMM values the electrode-SOH problem reads only through Q_n, Q_p and Q_Li (or not at
#: all): they are left out of :func:`soh_problem_key`, which keeps the capacity ratios instead
_CAPACITY_SCALE_KEYS = frozenset({
    "Negative electrode thickness [m]", "Positive electrode thickness [m]",
    "Electrode height [m]", "Electrode width [m]", "Nominal cell capacity [A.h]",
    "Negative electrode active material volume fraction",
    "Positive electrode active material volume fraction",
    "Initial concentration in negative electrode [mol.m-3]",
    "Initial concentration in positive electrode [mol.m-3]",
})


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


@lru_cache(maxsize=1)
def _lithium_ion_parameters() -> pybamm.LithiumIonParameters:
    """PyBaMM's symbolic parameters (default options), built once (~80 ms each)."""
    return pybamm.LithiumIonParameters()


def soh_problem_key(values: pybamm.ParameterValues, soc: float) -> tuple:
    """The electrode-SOH problem of a full cell's ``values`` up to a common scale of the
    electrode capacities: Q_n/Q_p and Q_Li/Q_p (PyBaMM's own expressions) and every other
    number in ``values`` (functions are not compared: the caller shares a memo only between
    cells with the same material files). Equal keys give the same stoichiometries."""
    param = _lithium_ion_parameters()
    q_p = float(values.evaluate(param.p.Q_init))
    ratios = (float(values.evaluate(param.n.Q_init)) / q_p,
              float(values.evaluate(param.Q_Li_particles_init)) / q_p)
    numbers = tuple(sorted((k, float(v)) for k, v in values.items()
                           if isinstance(v, int | float) and k not in _CAPACITY_SCALE_KEYS))
    return (soc, *(float(f"{r:.12g}") for r in ratios), numbers)


def set_initial_state(loaded: LoadedCell, values: pybamm.ParameterValues,
                      state: InitialState | float, memo: dict | None = None,
                      soh: tuple | None = None) -> dict:
    """Move ``values`` to the start ``state``: ``"charged"`` (at the upper cut-off) or
    ``"discharged"`` (at the lower); the state of charge 1.0 or 0.0 is accepted for either.

    Returns the cathode (and anode) stoichiometries that were set. ``memo``: a dict shared by
    cells with the same material files; a full cell whose :func:`soh_problem_key` is in it
    takes the stoichiometries found before instead of solving again. ``soh``: (a PyBaMM
    ``ElectrodeSOHSolver`` built once for cells with the same material files, with the
    numbers that differ between them as input parameters; those inputs for this cell), so that
    a full cell's electrode-SOH model is not built anew for every cell (uncertainty samples).
    """
    soc = (STATE_OF_CHARGE[check_name(state, INITIAL_STATES, 'initial state')]
           if isinstance(state, str) else state)
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
    c_max_n = loaded.design.anode.maximum_concentration_mol_per_m3
    key = soh_problem_key(values, soc) if memo is not None else None
    if key is not None and key in memo:
        x, y = memo[key]
        values.update({"Initial concentration in positive electrode [mol.m-3]": x * c_max_p,
                       "Initial concentration in negative electrode [mol.m-3]": y * c_max_n})
    else:
        if soh is None:
            values.set_initial_state(soc)
        else:
            pybamm.lithium_ion.set_initial_state(soc, values, param=soh[0].param,
                                                 esoh_solver=soh[0], inputs=soh[1])
        x = values["Initial concentration in positive electrode [mol.m-3]"] / c_max_p
        y = values["Initial concentration in negative electrode [mol.m-3]"] / c_max_n
        if key is not None:
            memo[key] = (x, y)
    u = (evaluate_state(loaded.cathode.open_circuit_potential, "stoichiometry", [x])[0]
         - evaluate_state(loaded.anode.open_circuit_potential, "stoichiometry", [y])[0])
    if abs(u - target) > VOLTAGE_TOLERANCE_V:
        raise StateError(
            f"{loaded.path.name}: the sodium inventory cannot bring the cell to {target:.3f} V "
            f"(PyBaMM's state solver gave x={x:.4f}, y={y:.4f}, OCV {u:.3f} V)"
        )
    return {"cathode": x, "anode": y}
