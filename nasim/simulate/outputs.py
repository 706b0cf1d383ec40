"""The columns nasim reports for every solve (SI and lab units), from a PyBaMM solution."""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Sequence

import casadi
import numpy as np
import pandas as pd
import pybamm
import scipy.interpolate
import scipy.sparse
from pybammsolvers import idaklu

from nasim.analysis.metrics import cumulative_charge_C
from nasim.params.loading import LoadedCell
from nasim.physics.phases import phase_columns
from nasim.simulate.mesh import shell_edges

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

#: built model -> {(variable names, input layout): (CasADi function, rows per variable)}
_FUNCTIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: built model -> {variable name: (its numpy evaluator, rows), or None where CasADi evaluates it}
_NUMPY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: agreement a numpy evaluator must show with the CasADi function on its first solution
_NUMPY_RTOL = 1e-10


#: CasADi function options as PyBaMM's solutions use them: common subexpressions evaluated once
#: (the voltage's tree repeats the OCP interpolants and averages), no input checks
_FUNCTION_OPTIONS = {"cse": True, "inputs_check": False, "regularity_check": False}


def _numpy_value(evaluate, ts: np.ndarray, ys: np.ndarray, inputs: dict, rows: int
                 ) -> np.ndarray | None:
    """A numpy evaluator's value on all columns of ``ys`` at once, shape (rows, n_t), or None
    where it does not come out so."""
    value = np.asarray(evaluate(t=ts, y=ys, inputs=inputs), dtype=float)
    n_t = ys.shape[1]
    if value.ndim < 2:
        value = value.reshape(-1, 1)
    if value.shape == (rows, 1) and n_t != 1:  # no state or time in it: the same at all times
        return np.repeat(value, n_t, axis=1)
    return value if value.shape == (rows, n_t) else None


def _arcsinh2(eps: float):
    """PyBaMM's regularised ``Arcsinh2`` (arcsinh(a / b_eff), b_eff = sign(b) hypot(b, eps),
    sign(0) = 1) in numpy only: PyBaMM's own numpy evaluation of the node looks for JAX on
    every call (~0.5 ms, more than the rest of a voltage)."""

    def evaluate(children: list) -> np.ndarray:
        a, b = children
        return np.arcsinh(a / (np.where(b >= 0, 1.0, -1.0) * np.hypot(b, eps)))

    return evaluate


def _linear(table: scipy.interpolate.interp1d):
    """A linear ``interp1d`` with linear extrapolation (PyBaMM's linear ``Interpolant``) as
    scipy evaluates it (the interval by ``searchsorted``, clipped to the first and last), without
    its ~40 us of argument checks per call."""
    x, y = table.x, table.y
    slope = np.diff(y) / np.diff(x)

    def evaluate(values: np.ndarray) -> np.ndarray:
        hi = np.clip(np.searchsorted(x, values), 1, len(x) - 1)
        lo = hi - 1
        return slope[lo] * (values - x[lo]) + y[lo]

    return evaluate


#: sparse matrices of an expression with at most this many entries are evaluated dense: a
#: scipy sparse product costs ~10 us of Python per call, a small dense one ~1 us
_DENSE_ENTRIES = 250_000


def _constant(value):
    """A constant of PyBaMM's generated numpy code as :func:`_numpy_evaluator` uses it."""
    if isinstance(getattr(value, "__self__", None), pybamm.Arcsinh2):
        return _arcsinh2(value.__self__.eps)
    if scipy.sparse.issparse(value) and value.shape[0] * value.shape[1] <= _DENSE_ENTRIES:
        return value.toarray()
    if (isinstance(value, scipy.interpolate.interp1d) and value._kind == "linear"
            and value._extrapolate and value.y.ndim == 1):
        return _linear(value)
    return value


def _numpy_evaluator(var: pybamm.Symbol) -> pybamm.EvaluatorPython:
    """PyBaMM's numpy code of ``var`` (``EvaluatorPython``) with its ``Arcsinh2`` nodes and
    linear tables evaluated by :func:`_arcsinh2` and :func:`_linear` and its small sparse
    matrices dense (the generated code reads them from its constants list)."""
    evaluator = pybamm.EvaluatorPython(var)
    evaluator._constants = [_constant(c) for c in evaluator._constants]
    return evaluator


def _choose_evaluators(model: pybamm.BaseModel, names: Sequence[str], ts: np.ndarray,
                       ys: np.ndarray, inputs: dict) -> None:
    """Decide once per model and variable how to evaluate it: PyBaMM's numpy code of the
    expression (``pybamm.EvaluatorPython``, the code PyBaMM's own "python" format runs)
    applied to every column of the state array at once is 2-5x cheaper than a CasADi function
    called per time point, but it is only used where it gives the CasADi function's values
    (relative ``_NUMPY_RTOL``) on this first solution; otherwise CasADi evaluates the
    variable."""
    chosen = _NUMPY.setdefault(model, {})
    new = [name for name in names if name not in chosen]
    if not new:
        return
    reference = _casadi_values(model, new, ts, ys, inputs)
    for name in new:
        var = model.get_processed_variable_or_event(name)
        expected = np.atleast_2d(reference[name])
        try:
            evaluate = _numpy_evaluator(var)
            value = _numpy_value(evaluate, ts, ys, inputs, expected.shape[0])
        except Exception:  # noqa: BLE001 - any failure of the numpy code: CasADi evaluates it
            chosen[name] = None
            continue
        agrees = value is not None and np.allclose(
            value, expected, rtol=_NUMPY_RTOL, atol=_NUMPY_RTOL * np.max(np.abs(expected)))
        chosen[name] = (evaluate, expected.shape[0]) if agrees else None


def _outputs_function(model: pybamm.BaseModel, names: tuple[str, ...],
                      layout: tuple[tuple[str, int], ...], n_states: int):
    """One CasADi function f(t, y, p) of ``model``'s variables ``names`` stacked (built once
    per model, variable list and input layout)."""
    cache = _FUNCTIONS.setdefault(model, {})
    key = (names, layout, n_states)
    if key not in cache:
        t = casadi.MX.sym("t")
        y = casadi.MX.sym("y", n_states)
        p = casadi.MX.sym("p", sum(n for _, n in layout))
        inputs, offset = {}, 0
        for name, n in layout:
            inputs[name] = p[offset:offset + n]
            offset += n
        outs = []
        for name in names:
            var = model.get_processed_variable_or_event(name)
            if pybamm.ProcessedVariableTimeIntegral.from_pybamm_var(var, n_states) is not None:
                raise ValueError(f"{name!r} is a time integral: read it through PyBaMM")
            outs.append(casadi.reshape(var.to_casadi(t, y, inputs=inputs), -1, 1))
        fn = casadi.Function("nasim_outputs", [t, y, p], [casadi.vertcat(*outs)],
                             _FUNCTION_OPTIONS)
        cache[key] = (fn.serialize(), [int(o.shape[0]) for o in outs])
    return cache[key]


def _evaluate(serialised: str, ts: np.ndarray, ys: np.ndarray, p: np.ndarray, rows: int
              ) -> np.ndarray:
    """A function from :func:`_outputs_function` at every column of ``ys``: IDAKLU's
    ``observe`` (the C++ loop PyBaMM's processed variables use), (rows, n_t)."""
    ys = np.asfortranarray(ys)
    out = idaklu.observe(idaklu.VectorRealtypeNdArray([np.asarray(ts, dtype=float)]),
                         idaklu.VectorRealtypeNdArray([ys]),
                         idaklu.VectorRealtypeNdArray([p]), [serialised], True,
                         [rows, len(ts)])
    return np.asarray(out).reshape(rows, len(ts))


def _casadi_values(model: pybamm.BaseModel, names: Sequence[str], ts: np.ndarray,
                   ys: np.ndarray, inputs: dict) -> dict[str, np.ndarray]:
    """The variables ``names`` of ``model`` at every column of ``ys`` by one CasADi function
    (IDAKLU's ``observe``), each (rows, n_t)."""
    keys = sorted(inputs)
    values = [np.atleast_1d(np.asarray(inputs[k], dtype=float)).ravel() for k in keys]
    fn, sizes = _outputs_function(model, tuple(names), tuple(
        (k, v.size) for k, v in zip(keys, values, strict=True)), ys.shape[0])
    p = np.concatenate(values) if values else np.zeros(0)
    stacked = _evaluate(fn, ts, ys, p, sum(sizes))
    out, row = {}, 0
    for name, size in zip(names, sizes, strict=True):
        out[name] = stacked[row:row + size]
        row += size
    return out


def observe(solution: pybamm.Solution, names: Sequence[str]) -> dict[str, np.ndarray]:
    """The variables ``names`` of the solution's model at its times: shape (n_t,) for a
    scalar, (n, n_t) for a field over x (in PyBaMM's node order).

    Each variable is evaluated on the solution's whole state array at once, by numpy where
    that was shown to agree with CasADi (:func:`_choose_evaluators`), else by one CasADi
    function per built model: PyBaMM's processed variables prepare their evaluation anew for
    every solution, which for the many short solves of a sweep or a long cycling run costs
    more than the solve."""
    names = tuple(names)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for model, ts, ys, inputs in zip(solution.all_models, solution.all_ts, solution.all_ys,
                                     solution.all_inputs, strict=True):
        ys = np.asarray(ys, dtype=float)
        ts = np.asarray(ts, dtype=float)
        _choose_evaluators(model, names, ts, ys, inputs)
        chosen = _NUMPY[model]
        rest = []
        for name in names:
            value = None
            if chosen[name] is not None:
                evaluate, rows = chosen[name]
                value = _numpy_value(evaluate, ts, ys, inputs, rows)
            if value is None:
                rest.append(name)
            else:
                parts[name].append(value)
        if rest:
            for name, value in _casadi_values(model, rest, ts, ys, inputs).items():
                parts[name].append(value)
    out = {}
    for name, blocks in parts.items():
        value = np.concatenate(blocks, axis=1)
        out[name] = value[0] if value.shape[0] == 1 else value
    return out


#: PyBaMM's tolerance of its interpolant-bound events (``BaseSolver.extrap_tol``'s default)
EXTRAPOLATION_TOLERANCE = -1e-10
#: built model -> {input layout: (names of its interpolant-bound events, their evaluator)}
_EXTRAPOLATION_EVENTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _Evaluator:
    """A CasADi function f(t, y, p) -> (n,) called through CasADi's buffer interface (the
    arguments read in place: ~10 us a call, a plain call converts every argument, ~90 us)."""

    def __init__(self, fn: casadi.Function):
        self.fn = fn  # the buffer refers to it
        self.buffer, self.call = fn.buffer()
        self.t = np.zeros(1)
        self.out = np.zeros(fn.size1_out(0))
        self.buffer.set_arg(0, memoryview(self.t))
        self.buffer.set_res(0, memoryview(self.out))

    def __call__(self, t: float, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        self.t[0] = t
        self.buffer.set_arg(1, memoryview(y))
        self.buffer.set_arg(2, memoryview(p))
        self.call()
        return self.out.copy()


def _extrapolation_function(model: pybamm.BaseModel, layout: tuple[tuple[str, int], ...],
                            n_states: int) -> tuple[list[str], _Evaluator | None]:
    """The names of ``model``'s interpolant-bound events and one evaluator of their values at
    (t, y, p) (None without such events), built once per model and input layout."""
    cache = _EXTRAPOLATION_EVENTS.setdefault(model, {})
    if layout not in cache:
        events = [e for e in model.events
                  if e.event_type == pybamm.EventType.INTERPOLANT_EXTRAPOLATION]
        evaluator = None
        if events:
            t, y = casadi.MX.sym("t"), casadi.MX.sym("y", n_states)
            p = casadi.MX.sym("p", sum(n for _, n in layout))
            inputs, offset = {}, 0
            for name, n in layout:
                inputs[name] = p[offset:offset + n]
                offset += n
            evaluator = _Evaluator(casadi.Function("nasim_extrapolation", [t, y, p], [
                casadi.vertcat(*[casadi.reshape(e.expression.to_casadi(t, y, inputs=inputs),
                                                -1, 1) for e in events])], _FUNCTION_OPTIONS))
        cache[layout] = ([e.name for e in events], evaluator)
    return cache[layout]


def warn_extrapolation(state: pybamm.Solution) -> None:
    """PyBaMM's extrapolation check of a solve (``BaseSolver.check_extrapolation``): the
    interpolant-bound events of the model at the solve's end state ``state`` (the event's
    state when an event ended it, else the last), a ``pybamm.SolverWarning`` naming those below
    :data:`EXTRAPOLATION_TOLERANCE`. The events are evaluated by one CasADi function per
    built model; PyBaMM evaluates each event's expression tree in Python (~0.3 ms per step of
    the aged SPMe, ~0.1 ms this way), so nasim's solvers leave the check to this function
    (``on_extrapolation="ignore"``)."""
    model = state.all_models[-1]
    inputs = state.all_inputs[-1]
    keys = sorted(inputs)
    if all(isinstance(inputs[k], float | int) for k in keys):  # the usual: numbers
        p = np.array([inputs[k] for k in keys], dtype=float)
        layout = tuple((k, 1) for k in keys)
    else:
        values = [np.atleast_1d(np.asarray(inputs[k], dtype=float)).ravel() for k in keys]
        p = np.concatenate(values) if values else np.zeros(0)
        layout = tuple((k, v.size) for k, v in zip(keys, values, strict=True))
    y = np.ascontiguousarray(np.asarray(state.all_ys[-1], dtype=float)[:, -1])
    names, evaluate = _extrapolation_function(model, layout, y.shape[0])
    if evaluate is None:
        return
    events = evaluate(float(state.all_ts[-1][-1]), y, p)
    below = [name for name, value in zip(names, events, strict=True)
             if value < EXTRAPOLATION_TOLERANCE]
    if below:
        warnings.warn(f"While solving {model.name} extrapolation occurred for {below}",
                      pybamm.SolverWarning, stacklevel=3)


def step_columns(solution: pybamm.Solution, cell: LoadedCell, full: bool = False
                 ) -> dict[str, np.ndarray]:
    """The solution's columns in SI and lab units as arrays (time and capacity counted from the
    start of the solve): time, current, voltage, capacity and the minimum electrolyte
    concentration (what the step metrics and end checks need); ``full`` adds the OCV,
    stoichiometries, sodium inventory and temperature."""
    names = {k: v for k, v in _OUTPUTS.items() if full or k in _CORE}
    if full and cell.configuration == "full":
        names.update(_ANODE_OUTPUTS)
    data = {}
    values = observe(solution, [v for k, v in names.items() if k != "time_s"])
    for column, var in names.items():
        if column == "time_s":
            entries = np.asarray(solution.t, dtype=float)
            entries = entries - entries[0]  # step time (solver.step continues the clock)
        else:
            entries = values[var]
        if entries.ndim > 1:  # a field over x: keep its minimum
            entries = entries.min(axis=0)
        data[column] = entries
        if column == "voltage_V":  # capacity after time, current and voltage
            charge_C = cumulative_charge_C(data["time_s"], data["current_A"])
            data["capacity_mAh"] = charge_C / 3.6
            data["capacity_mAh_per_g"] = data["capacity_mAh"] / (
                cell.design.cathode_active_mass_kg * 1e3)
    return data


def frame_of(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """Equal-length float columns as a DataFrame (one float block: far cheaper to build than
    a frame from a dict of columns)."""
    return pd.DataFrame(np.column_stack(list(columns.values())), columns=list(columns))


def timeseries(solution: pybamm.Solution, cell: LoadedCell) -> pd.DataFrame:
    """The solution as a DataFrame with every column (:func:`step_columns` with ``full``),
    the total sodium and the cathode phase columns."""
    frame = frame_of(step_columns(solution, cell, full=True))
    frame["sodium_total_mol"] = frame.sodium_in_particles_mol + frame.sodium_in_electrolyte_mol
    if cell.cathode.phase_map is not None:
        x_particles = np.asarray(solution["Positive particle stoichiometry"].entries)
        columns = phase_columns(cell.cathode.phase_map, x_particles,
                                np.asarray(solution["Positive particle surface stoichiometry"]
                                           .entries),
                                shell_edges(solution, "Positive particle stoichiometry",
                                            x_particles.shape[0]))
        for name, values in columns.items():
            frame[name] = values
    return frame


_ACTIVE_FRACTION = "X-averaged positive electrode active material volume fraction"
_SEI_LOSS = "Loss of capacity to negative SEI [A.h]"


def aging_state(state: pybamm.Solution, cell: LoadedCell, mechanisms) -> dict:
    """The aging state at the end of ``state``: cathode active material left (fraction of the
    design's) and, with SEI growth, the capacity lost to the anode's SEI [mAh/g of cathode]."""
    names = [_ACTIVE_FRACTION, _SEI_LOSS] if "sei" in mechanisms else [_ACTIVE_FRACTION]
    values = observe(state, names)
    out = {"active_material_fraction": float(values[_ACTIVE_FRACTION][-1])
           / cell.design.cathode.active_volume_fraction}
    if "sei" in mechanisms:
        out["sodium_lost_to_sei_mAh_per_g"] = (float(values[_SEI_LOSS][-1]) * 1e3
                                               / (cell.design.cathode_active_mass_kg * 1e3))
    return out
