"""Build once, solve many times: one cell's PyBaMM models with the step settings as inputs.

A :class:`CellRunner` builds at most two discretised PyBaMM models of the cell, one per
external circuit (:mod:`nasim.simulate.circuit`): PyBaMM's current control with the current an
input (constant-current steps and rests) and a function control that also holds a voltage or
sweeps it (holds, sweeps, and every step of a runner with sensitivities). Voltage cut-offs, the
hold's current cut-off and the ambient temperature are inputs too. Each step starts from the
last state of the previous one (PyBaMM's ``solver.step``, across the two models by variable
name). Independent steps from one state are solved together as a list of inputs (IDAKLU runs
them on several threads). Built models are shared across runners and calls
(:mod:`nasim.simulate.cache`).

PyBaMM's ``Experiment`` also switches between one model per operating mode; nasim drives the
models directly to convert lab units, classify how every step ended (PyBaMM's experiment loop
only logs a failure) and share built models across steps, rates and runs.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pybamm

from nasim.params.loading import LoadedCell
from nasim.params.names import MODEL_NAMES, THERMAL_MODES, check_name
from nasim.physics import set_initial_state
from nasim.physics.aging import build_aging_model, check_mechanisms, run_parameter_values
from nasim.physics.models import MODEL_CLASSES, model_options
from nasim.physics.values import WINDOW_PLACING_PATHS, evaluate_state, input_paths
from nasim.protocols.plan import VOLTAGE_OFF_HIGH_V, VOLTAGE_OFF_LOW_V, PlannedStep, horizon_s
from nasim.simulate import cache, circuit
from nasim.simulate.compile import lock_compiles, value_names, value_paths
from nasim.simulate.ends import (
    CURRENT_CUTOFF_EVENT,
    SimulationError,
    classify_end,
    solver_failure_reason,
)
from nasim.simulate.mesh import Mesh
from nasim.simulate.mesh import resolve as resolve_mesh
from nasim.simulate.outputs import frame_of, observe, step_columns, timeseries, warn_extrapolation
from nasim.simulate.tolerances import default_tolerances, state_atol

# input parameter names (PyBaMM's own keys where PyBaMM reads them)
AMBIENT = "Ambient temperature [K]"
INITIAL_T = "Initial temperature [K]"  # lumped thermal: a fresh start is at the ambient
LOWER = "Lower voltage cut-off [V]"
UPPER = "Upper voltage cut-off [V]"
I_CUTOFF = "nasim current cut-off [A]"

_STARTS = itertools.count()  # names of batch start states (see CellRunner._set_start)
_X_DOMAINS = ("negative electrode", "separator", "positive electrode")
#: value inputs that set a domain length -> the domains that then need a symbolic mesh
_LENGTH_INPUTS = {
    "Negative electrode thickness [m]": _X_DOMAINS,
    "Separator thickness [m]": _X_DOMAINS,
    "Positive electrode thickness [m]": _X_DOMAINS,
    "Negative particle radius [m]": ("negative particle",),
    "Positive particle radius [m]": ("positive particle",),
}


def output_times(duration_s: float, n_linear: int = 300, n_log: int = 300) -> np.ndarray:
    """Output times: uniform over the step plus log-spaced from 0.1 s, so that a step that
    ends far earlier than ``duration_s`` (a high rate sharing a grid with a low one) is still
    resolved."""
    return _output_times(float(duration_s), n_linear, n_log).copy()


@functools.lru_cache(maxsize=256)
def _output_times(duration_s: float, n_linear: int, n_log: int) -> np.ndarray:
    t = np.concatenate([np.linspace(0.0, duration_s, n_linear),
                        np.geomspace(min(0.1, duration_s / 10), duration_s, n_log)])
    return np.unique(t)


def constant_current_step(cell: LoadedCell, direction: str, current_A: float,
                          temperature_K: float) -> PlannedStep:
    """A constant-current charge or discharge across the cell's whole voltage window."""
    window = cell.cell.voltage_window
    discharge = direction == "discharge"
    return PlannedStep(
        number=1, cycle=1, kind=direction, mode="current",
        description=f"{direction} at {current_A:.4g} A", temperature_K=temperature_K,
        duration_s=horizon_s(cell, current_A), time_limited=False,
        current_A=current_A if discharge else -current_A,
        lower_voltage_V=window.lower.si if discharge else VOLTAGE_OFF_LOW_V,
        upper_voltage_V=VOLTAGE_OFF_HIGH_V if discharge else window.upper.si)


@dataclass
class StepSolution:
    """One solved step and how it ended.

    ``columns``: time, current, voltage, capacity and minimum electrolyte concentration (step
    time from 0) as arrays, what the metrics and end checks need; :attr:`frame` is the same
    as a DataFrame (built on first access: a long cycling run reads the arrays only).
    :meth:`full_frame` adds every other column (OCV, stoichiometries, Na inventory,
    temperature, phases); it is computed from the kept PyBaMM solution on demand (PyBaMM
    processes variables lazily too), and only for steps whose time series is kept."""

    step: PlannedStep
    columns: Mapping[str, np.ndarray]
    termination: str
    end_state: pybamm.Solution
    solve_time_s: float
    cell: LoadedCell | None = None
    solution: pybamm.Solution | None = None

    @functools.cached_property
    def frame(self) -> pd.DataFrame:
        return frame_of(self.columns)

    def full_frame(self) -> pd.DataFrame:
        if self.solution is None:
            raise ValueError(f"step {self.step.number}: its time series was not kept")
        return timeseries(self.solution, self.cell)


@dataclass
class BuiltModel:
    """What :meth:`CellRunner.build` makes once: the discretised PyBaMM model, its IDAKLU
    solver, and the model's own initial conditions (restored after a batch solve that started
    from another state)."""

    model: pybamm.BaseModel
    solver: pybamm.IDAKLUSolver
    initial_conditions: dict
    concatenated_initial_conditions: pybamm.Symbol


class CellRunner:
    """The built PyBaMM model of one cell, solved step by step through input parameters.

    ``initial_soc`` 0 starts at the lower cut-off (discharged), 1 at the upper (charged).
    ``inputs``: the input parameters of the built model, with their values (SI, multipliers
    for ``.scale``); :meth:`set_inputs` changes them between solves without rebuilding. A key
    is either a parameter-file path (see :func:`nasim.physics.values.input_paths`, e.g.
    ``cathode.diffusivity``: fits) or a PyBaMM parameter name of this cell (e.g.
    ``"Positive electrode thickness [m]"``: sweeps switching between cells of another geometry
    -- loading, porosity, radius ...). Electrode and separator thicknesses and particle radii
    among the PyBaMM names give those domains PyBaMM's symbolic uniform mesh (the length is an
    input). ``sensitivities``: every solve also returns dy/dp for the inputs (IDAKLU forward
    sensitivities, carried across steps).
    ``solver_time_steps``: :meth:`run` returns the solution at the solver's own time steps
    with their time derivatives instead of a fixed output grid, so that PyBaMM interpolates
    the states as a Hermite spline: a voltage at any time (e.g. just before a cut-off event,
    where a fixed grid is coarse) is accurate (fits).
    ``state_memo``: a dict shared by runners of cells with the same material files, so that a
    full cell that differs from one before only in the scale of its electrodes takes its
    start stoichiometries from it (see :func:`nasim.physics.state.set_initial_state`).
    ``tolerances``: the IDAKLU solver's ``rtol``/``atol`` (default :mod:`tolerances
    <nasim.simulate.tolerances>`: rtol 1e-5 for the SPM, 1e-6 and atol 1e-10 with lumped
    thermal), e.g. to compare models beyond time-stepping error.
    ``compiled``: IDAKLU's ``compile`` option (off by default; :func:`nasim.replay` and
    :func:`nasim.simulate` switch it on for the DFN where gcc is found): the model's CasADi
    functions compiled by gcc at the first solve, cached on disk by PyBaMM keyed by a hash of
    the functions, with the cell's values as inputs (:mod:`nasim.simulate.compile`: one library
    per structure, never one per value; they keep the build cell's values when
    :meth:`set_inputs` switches cells)."""

    def __init__(self, cell: LoadedCell, model: str = "DFN", *, initial_soc: float = 0.0,
                 mesh_points: int | Mesh | None = None, num_threads: int = 1,
                 thermal: str = "isothermal", inputs: Mapping[str, float] | None = None,
                 sensitivities: bool = False, solver_time_steps: bool = False,
                 aging: Collection[str] = (), state_memo: dict | None = None,
                 compiled: bool = False, tolerances: Mapping[str, float] | None = None):
        check_name(model, MODEL_NAMES, "model")
        check_name(thermal, THERMAL_MODES, "thermal")
        self.aging = check_mechanisms(aging, cell.configuration)
        self.cell = cell
        self.model_name = model
        self.thermal = thermal
        self.inputs = {k: float(v) for k, v in (inputs or {}).items()}
        self._sensitivities = sorted(self.inputs) if sensitivities else []
        self.solver_time_steps = solver_time_steps
        paths = sorted(set(self.inputs) & set(input_paths(cell))) if self.inputs else []
        #: inputs of a compiled build only: the cell's values (see ``compiled``)
        self._value_inputs = value_paths(cell, paths, bool(self.aging)) if compiled else {}
        self.values = run_parameter_values(cell, sorted({*paths, *self._value_inputs}),
                                           self.aging, thermal == "lumped")
        #: inputs named by PyBaMM (their cell values replaced by "[input]" in the build)
        self._pybamm_inputs = sorted(set(self.inputs) - set(paths))
        unknown = [k for k in self._pybamm_inputs if k not in self.values.keys()]
        if unknown:
            raise ValueError(f"inputs {unknown}: neither parameter-file paths of cell "
                             f"{cell.path.name} nor PyBaMM parameters of it")
        placing = sorted(set(paths) & set(WINDOW_PLACING_PATHS))
        if placing and initial_soc != 1.0:
            raise ValueError(f"input parameters {placing} place the electrodes' windows at the "
                             "published charged state: the run must start there "
                             "(initial_state: charged), not at a solved state")
        self._cell_key = cache.cell_key(cell)
        self._initial_soc = float(initial_soc)
        self.initial_stoichiometry = set_initial_state(cell, self.values, initial_soc,
                                                       state_memo)
        self._value_names = value_names(self.values, {
            AMBIENT, INITIAL_T, LOWER, UPPER, circuit.CURRENT_FUNCTION, *_LENGTH_INPUTS,
            *self._pybamm_inputs}) if compiled else {}
        self._value_inputs.update(self._value_names)
        self.mesh = resolve_mesh(cell, mesh_points, model)
        self.var_pts = self.mesh.var_pts()
        self.num_threads = num_threads
        self.compiled = compiled
        self.tolerances = dict(default_tolerances(model, thermal), **(tolerances or {}))
        self._built: dict[str, BuiltModel] = {}  # circuit -> its built model

    def set_inputs(self, values: Mapping[str, float], cell: LoadedCell | None = None) -> None:
        """New values of inputs given at construction (no rebuild). With ``cell``: solve that
        cell from now on; ``values`` must then give every input (its values of them, its
        initial concentrations included: the start state follows them)."""
        unknown = set(values) - set(self.inputs)
        if unknown:
            raise ValueError(f"not inputs of this runner: {sorted(unknown)}")
        if cell is not None:
            if set(values) != set(self.inputs):
                raise ValueError(f"inputs of this runner: {sorted(self.inputs)}; got "
                                 f"{sorted(values)}")
            self.cell = cell
        self.inputs.update({k: float(v) for k, v in values.items()})

    def build(self, control: str = "function") -> BuiltModel:
        """The built model of the ``control`` circuit (:mod:`nasim.simulate.circuit`; built at
        the first call, then reused; shared with other runners of the same cell content, model
        and settings in this process: :mod:`nasim.simulate.cache`)."""
        if control not in self._built:
            check_name(control, circuit.CONTROLS, "control")
            key = (self._cell_key, self.model_name, control, self.thermal, self.aging,
                   self._initial_soc, tuple(sorted(self.inputs)), bool(self._sensitivities),
                   repr(self.mesh), self.num_threads, self.compiled,
                   tuple(sorted(self.tolerances.items())))
            self._built[control] = cache.cached(key, lambda: self._make(control))
            self.n_states = int(self._built[control].concatenated_initial_conditions.shape[0])
        return self._built[control]

    def _make(self, control: str) -> BuiltModel:
        options = model_options(self.cell.configuration, self.thermal)
        if control == "function":
            options["operating mode"] = circuit.function_control
        if "contact_resistance" in self.inputs or \
                self.cell.cell.contact_resistance is not None:
            options["contact resistance"] = "true"
        name = f"nasim {self.model_name} ({self.cell.configuration} cell)"
        if self.aging:
            model = build_aging_model(MODEL_CLASSES[self.model_name], options, self.aging,
                                      name + ", aging: " + ", ".join(self.aging))
        else:
            model = MODEL_CLASSES[self.model_name](options, name=name)
        values = self.values.copy()
        if control == "function":
            model.events.append(pybamm.Event(
                CURRENT_CUTOFF_EVENT, pybamm.AbsoluteValue(model.variables["Current [A]"])
                - pybamm.InputParameter(I_CUTOFF)))
        else:
            values.update({circuit.CURRENT_FUNCTION: "[input]"}, check_already_exists=False)
        values.update({AMBIENT: "[input]", LOWER: "[input]", UPPER: "[input]",
                       INITIAL_T: "[input]", **dict.fromkeys(self._pybamm_inputs, "[input]"),
                       **dict.fromkeys(self._value_names, "[input]")})
        submeshes = self.mesh.submesh_types(model.default_submesh_types)
        for key, domains in _LENGTH_INPUTS.items():
            if key in self._pybamm_inputs:
                submeshes.update({d: pybamm.SymbolicUniform1DSubMesh for d in domains
                                  if d in submeshes})
        options = {"num_threads": self.num_threads} if self.num_threads > 1 else {}
        if self.compiled:
            options["compile"] = True
            lock_compiles()
        sim = pybamm.Simulation(model, parameter_values=values, var_pts=self.var_pts,
                                submesh_types=submeshes,
                                solver=pybamm.IDAKLUSolver(options=options, **self.tolerances,
                                                           on_extrapolation="ignore"))
        sim.build()
        built = sim.built_model
        sim.solver.atol = state_atol(built, self.tolerances)
        return BuiltModel(built, sim.solver, dict(built.initial_conditions),
                          built.concatenated_initial_conditions)

    def _set_start(self, state: pybamm.Solution | None, control: str) -> BuiltModel:
        """Put ``state`` (None: the initial state) into the ``control`` model's initial
        conditions (for a batch solve); :meth:`_restore` undoes it."""
        built = self.build(control)
        if state is not None:
            y = np.asarray(state.all_ys[-1])
            y = y[:, -1] if y.ndim > 1 else y
            mapper = circuit.state_mapper(state, built.model)
            if mapper is not None:
                y = mapper[0](None, y, None)
            # a name of its own: PyBaMM's solve() reuses its initial-condition function when the
            # start equals the last one by value, even if another start was set up in between
            built.model.concatenated_initial_conditions = pybamm.Vector(
                y, name=f"nasim start {next(_STARTS)}")
        return built

    def forget_set_up(self, control: str) -> None:
        """Set the ``control`` solver up anew at its next solve (PyBaMM keeps model state)."""
        if control in self._built:
            self._built[control].solver._model_set_up.clear()  # noqa: SLF001

    def _restore(self, control: str) -> None:
        built = self.build(control)
        built.model.initial_conditions = dict(built.initial_conditions)
        built.model.concatenated_initial_conditions = built.concatenated_initial_conditions

    def _step_inputs(self, step: PlannedStep, start_voltage_V: float | None,
                     start_time_s: float = 0.0) -> dict[str, float]:
        """Every input value of a solve of ``step``: the step's settings (control, current [A],
        cut-offs [V, A], temperature [K], voltage start [V] and rate [V/s], start time [s])
        and the runner's :attr:`inputs`."""
        current = step.mode == "current"
        c = circuit
        return {c.T_START: start_time_s, AMBIENT: step.temperature_K,
                INITIAL_T: step.temperature_K,
                LOWER: step.lower_voltage_V, UPPER: step.upper_voltage_V,
                c.CONTROL: 1.0 if current else 0.0, c.CURRENT: step.current_A if current else 0.0,
                c.CURRENT_FUNCTION: step.current_A if current else 0.0,
                c.V_START: 0.0 if current else start_voltage_V,
                c.V_RATE: 0.0 if current else step.voltage_rate_V_per_s,
                I_CUTOFF: step.current_cutoff_A, **self._value_inputs, **self.inputs}

    def voltage_of(self, state: pybamm.Solution | None) -> float:
        """The terminal voltage at ``state`` (the initial state when None) [V]."""
        if state is not None:
            return float(observe(state, ["Voltage [V]"])["Voltage [V]"][-1])
        start = {role: self.inputs.get(f"initial_stoichiometry.{role}", x)
                 for role, x in self.initial_stoichiometry.items()}
        u = float(evaluate_state(self.cell.cathode.open_circuit_potential, "stoichiometry",
                                 [start["cathode"]])[0])
        if "anode" in start:
            u -= float(evaluate_state(self.cell.anode.open_circuit_potential, "stoichiometry",
                                      [start["anode"]])[0])
        return u

    def _resolve(self, step: PlannedStep, state) -> tuple[PlannedStep, float | None]:
        """Sweeps start from the present voltage; their duration follows from it."""
        if step.mode != "voltage":
            return step, None
        if step.voltage_target_V is None:
            return step, step.voltage_start_V
        start = self.voltage_of(state)
        delta = step.voltage_target_V - start
        rate = abs(step.voltage_rate_V_per_s) * (1 if delta >= 0 else -1)
        lo, hi = sorted((start, step.voltage_target_V))
        return replace(step, voltage_rate_V_per_s=rate, duration_s=max(abs(delta) / abs(rate),
                                                                       1.0),
                       lower_voltage_V=lo - 0.5, upper_voltage_V=hi + 0.5), start

    def run(self, step: PlannedStep, state: pybamm.Solution | None,
            times: np.ndarray | None = None) -> StepSolution:
        """Solve one step from ``state`` (None: the initial state); raises SimulationError.

        ``times``: output times from the step start [s] (default: a fixed grid, or the
        solver's own time steps with ``solver_time_steps``); the solver interpolates its
        solution (and sensitivities) there. Uses PyBaMM's ``solver.step``: from a state of the
        same model the solver restarts from its last state vector, from the other model it
        maps the state by variable name."""
        step, v0 = self._resolve(step, state)
        built = self.build(circuit.control_of(step.mode, bool(self._sensitivities)))
        if times is not None:
            t_interp = np.unique(np.clip(np.concatenate([[0.0], times]), 0.0, step.duration_s))
        else:
            # a hold whose time series is not kept is read for its duration and end only
            t_interp = (None if self.solver_time_steps or (step.kind == "hold"
                                                           and not step.keep_timeseries)
                        else output_times(step.duration_s, 300, 100))
        inputs = self._step_inputs(step, v0, 0.0 if state is None else float(state.t[-1]))
        if state is None and not self._sensitivities:
            state = circuit.initial_state(built.model, inputs)
        tic = time.perf_counter()
        try:
            solution = built.solver.step(
                state, built.model, step.duration_s, t_interp=t_interp, save=False,
                calculate_sensitivities=self._sensitivities, inputs=inputs,
                state_mapper=circuit.state_mapper(state, built.model))
        except pybamm.SolverError as exc:
            c_rate = step.c_rate if step.c_rate is not None else (
                abs(step.current_A) / self.cell.one_c_current_A if step.mode == "current"
                else None)
            raise SimulationError(solver_failure_reason(
                exc, step.temperature_K - 273.15, c_rate)) from None
        return self._finish(step, solution, time.perf_counter() - tic)

    def run_parallel(self, steps: list[PlannedStep], state: pybamm.Solution | None
                     ) -> list[StepSolution | SimulationError]:
        """Solve current-controlled steps that all start from ``state`` as one list of inputs.

        If the batch fails as a whole, each step is solved alone so that every failure is
        recorded against its own step."""
        if any(s.mode != "current" for s in steps):
            raise ValueError("run_parallel takes current-controlled steps only")
        # steps ended by their own duration cannot share a horizon: they run alone
        shared = [s for s in steps if not s.time_limited]
        results: dict[int, StepSolution | SimulationError] = {}
        solutions = None
        if len(shared) > 1:
            duration = max(s.duration_s for s in shared)
            control = circuit.control_of("current", bool(self._sensitivities))
            built = self._set_start(state, control)
            tic = time.perf_counter()
            try:
                solutions = built.solver.solve(
                    built.model, [0.0, duration], t_interp=output_times(duration, 200, 300),
                    calculate_sensitivities=self._sensitivities,
                    inputs=[self._step_inputs(s, None) for s in shared])
            except pybamm.SolverError:
                solutions = None  # solved one by one below, each failure on its own step
            finally:
                self._restore(control)
            elapsed = (time.perf_counter() - tic) / len(shared)
        if solutions is not None:
            for s, sol in zip(shared, solutions, strict=True):
                try:
                    results[id(s)] = self._finish(s, sol, elapsed)
                except SimulationError as exc:
                    results[id(s)] = exc
        for s in steps:
            if id(s) not in results:
                try:
                    results[id(s)] = self.run(s, state)
                except SimulationError as exc:
                    results[id(s)] = exc
        return [results[id(s)] for s in steps]

    def _finish(self, step: PlannedStep, solution: pybamm.Solution, elapsed: float
                ) -> StepSolution:
        end_state = solution.last_state
        warn_extrapolation(end_state)  # PyBaMM's check, its solver's is off (see there)
        if not np.all(np.isfinite(end_state.y)):
            # IDAS accepts a step whose states are NaN (a NaN error norm passes its error
            # test): seen at the top of a charge with forward sensitivities at rtol 1e-4
            raise SimulationError(
                f"solver failure: non-finite states by t = {float(solution.t[-1]):.6g} s "
                "(the integrator accepted a step into NaN)")
        columns = step_columns(solution, self.cell)
        end = classify_end(str(solution.termination), columns, self.cell, step.kind,
                           step.time_limited)
        # the next step starts here whatever event ended this one (PyBaMM's solver.step only
        # continues from a solution that ended at its final time)
        end_state.termination = "final time"
        return StepSolution(step, columns, end, end_state, elapsed, self.cell,
                            solution if step.keep_timeseries else None)
