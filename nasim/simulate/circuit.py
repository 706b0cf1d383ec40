"""The two external circuits of a :class:`~nasim.simulate.engine.CellRunner`, and the state
hand-over between them.

- ``"current"``: PyBaMM's own current control with ``Current function [A]`` an input
  parameter. Constant-current steps (charges, discharges, rests, GITT pulses) run on it; SPM
  and SPMe stay ordinary differential equations (no algebraic equation), which IDAKLU solves
  1.4-1.9x faster than the same model with an algebraic circuit.
- ``"function"``: PyBaMM's function control (``"operating mode"`` given as a function), the
  algebraic equation

      s (I - I_set) + (1 - s) (V - V_start - rate t) = 0

  with ``s``, ``I_set``, ``V_start`` and ``rate`` input parameters: constant-voltage holds and
  linear voltage sweeps (s = 0), and every step of a runner that carries sensitivities (one
  model, so that dy/dp continues across steps).

Each circuit is one built model with its own IDAKLU solver (a solver is set up for one model).
A step that starts from a state of the other model gets it through PyBaMM's ``solver.step``
``state_mapper``: every state variable is copied by name (both models discretise the same
variables on the same mesh); the function circuit's extra algebraic ``Current variable [A]``
starts from the last current (IDAKLU's consistent initialisation then solves it exactly).
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import pybamm

CONTROLS = ("current", "function")
CURRENT_FUNCTION = "Current function [A]"  # PyBaMM's name: the current circuit's input
CURRENT = "nasim current [A]"
CONTROL = "nasim current control (1) or voltage control (0)"
V_START = "nasim voltage start [V]"
V_RATE = "nasim voltage rate [V.s-1]"
T_START = "nasim step start time [s]"  # solver.step continues the clock from the last state
CURRENT_VARIABLE = "Current variable [A]"  # the function circuit's algebraic state


def function_control(variables: dict) -> pybamm.Symbol:
    """The external circuit: current control (input s = 1) or V(t) = V_start + rate t (s = 0)."""
    s = pybamm.InputParameter(CONTROL)
    elapsed = pybamm.t - pybamm.InputParameter(T_START)
    target_V = pybamm.InputParameter(V_START) + pybamm.InputParameter(V_RATE) * elapsed
    return (s * (variables["Current [A]"] - pybamm.InputParameter(CURRENT))
            + (1 - s) * (variables["Voltage [V]"] - target_V))


def control_of(mode: str, sensitivities: bool) -> str:
    """The circuit that solves a step of ``mode`` ("current" or "voltage")."""
    return "current" if mode == "current" and not sensitivities else "function"


def _slots(model: pybamm.BaseModel) -> dict[str, np.ndarray]:
    """State variable name -> its indices in ``model``'s state vector."""
    out = {}
    for var, slices in model.y_slices.items():
        out[var.name] = np.concatenate([np.arange(s.start, s.stop) for s in slices])
    return out


def state_index(source: pybamm.BaseModel, target: pybamm.BaseModel) -> np.ndarray:
    """For every entry of ``target``'s state vector the index of the same entry in
    ``source``'s (-1 where ``source`` has no such variable)."""
    src = _slots(source)
    index = np.full(target.len_rhs_and_alg, -1, dtype=int)
    for name, where in _slots(target).items():
        if name in src:
            if src[name].size != where.size:
                raise ValueError(f"state {name!r}: {src[name].size} entries in "
                                 f"{source.name!r}, {where.size} in {target.name!r}")
            index[where] = src[name]
    missing = {name for name, where in _slots(target).items() if name not in src}
    if missing - {CURRENT_VARIABLE}:
        raise ValueError(f"states of {target.name!r} missing in {source.name!r}: "
                         f"{sorted(missing)}")
    return index


_INDEX: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # source -> {target: index}


def state_mapper(state: pybamm.Solution | None, model: pybamm.BaseModel):
    """PyBaMM's ``state_mapper`` for a step of ``model`` from ``state``: None when ``state`` is
    None or of ``model`` itself (PyBaMM then continues from it)."""
    if state is None or state.all_models[-1] is model:
        return None
    source = state.all_models[-1]
    per_target = _INDEX.setdefault(source, weakref.WeakKeyDictionary())
    if model not in per_target:
        per_target[model] = state_index(source, model)
    return mapper(per_target[model], last_current(state))


def mapper(index: np.ndarray, fill: float) -> tuple[Callable, None, None]:
    """A ``state_mapper`` for PyBaMM's ``solver.step``: the state vector by ``index`` (from
    :func:`state_index`), ``fill`` where the source has no entry (the current)."""

    def mapped(t, y, p) -> np.ndarray:
        return map_state(np.asarray(y, dtype=float).ravel(), index, fill)

    return mapped, None, None


def map_state(y: np.ndarray, index: np.ndarray, fill: float) -> np.ndarray:
    """The state vector ``y`` taken through ``index`` (entries -1 set to ``fill``)."""
    out = np.where(index >= 0, y[np.maximum(index, 0)], fill)
    return out


def last_current(state: pybamm.Solution) -> float:
    """The current at the end of ``state`` [A] (either circuit), the start guess of the
    function circuit's current."""
    inputs = state.all_inputs[-1]
    if CURRENT_FUNCTION in inputs:
        return float(np.asarray(inputs[CURRENT_FUNCTION]).ravel()[0])
    model = state.all_models[-1]
    where = _slots(model).get(CURRENT_VARIABLE)
    y = np.asarray(state.all_ys[-1])
    return float((y[:, -1] if y.ndim > 1 else y)[where[0]]) if where is not None else 0.0


def initial_state(model: pybamm.BaseModel, inputs: dict) -> pybamm.Solution:
    """``model``'s initial state at ``inputs`` as a one-point solution at t = 0, the start of a
    ``solver.step`` from the initial state: PyBaMM would otherwise set the solver up again (its
    initial-condition function) for every such step. Made once per model and values of the
    inputs the initial conditions depend on (none, or e.g. the initial concentrations of a
    compiled build), the last :data:`START_CACHE` kept. Not for sensitivity runs (no dy0/dp)."""
    ics = model.concatenated_initial_conditions
    known = _STARTS.get(model)
    if known is None or known[0] is not ics:
        names = sorted({node.name for node in ics.pre_order()
                        if isinstance(node, pybamm.InputParameter)})
        known = _STARTS[model] = (ics, names, OrderedDict())
    _, names, starts = known
    key = tuple(float(np.asarray(inputs[name]).ravel()[0]) for name in names)
    if key in starts:
        return starts[key]
    values = {name: inputs[name] for name in sorted(p.name for p in model.input_parameters)}
    y0 = ics.evaluate(0.0, inputs=values)
    start = starts[key] = pybamm.Solution(
        [np.zeros(1)], [np.asarray(y0, dtype=float).reshape(-1, 1)], model, values,
        termination="final time")
    while len(starts) > START_CACHE:
        starts.popitem(last=False)
    return start


START_CACHE = 16
#: model -> (its initial conditions, the input names they read, {their values: start})
_STARTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
