"""The least-squares problem of a fit: parameters -> residuals (and their Jacobian).

One :class:`~nasim.simulate.engine.CellRunner` per initial state is built once with the fitted
values as PyBaMM input parameters; an evaluation sets them and replays, on those built models,
the protocol steps that carry data (and the steps before them), walking the plan as replay does
(:mod:`nasim.simulate.execute`, with :class:`FitListener`). With ``sensitivities`` the
runners return IDAKLU forward sensitivities dy/dp, carried across steps, and the Jacobian of
every residual is assembled from them:

- a voltage at a fixed step time t (curve points): dV/dp(t) where the solver outputs it (the
  measured times are its output times); a step with a curve runs ``CURVE_EXTENSION_V`` past its
  cut-off. A measured point still beyond the simulated end t* (the model ends early) has the
  residual V(t*) - V_meas(t*), the end voltage against the measured curve at the model's end
  time: bounded, zero once the model reaches the point, and with the derivative
  -V_meas'(t*) dt*/dp (dt*/dp from the curve just before its end, see
  :func:`_beyond_end_row`), so that the optimiser sees the capacity shortfall (a flat
  residual would give it no gradient there). The report compares the end voltage with the
  measured point;
- the end time t* of a step ended by a voltage cut-off: V(t*, p) = V_cut gives
  dt*/dp = -(dV/dp)/(dV/dt) at t*, with dV/dt from PyBaMM's Hermite interpolation of the states
  between the solver's time steps;
- capacity (constant current) Q = |I| t*: dQ/dp = |I| dt*/dp;
- median voltage V(t*/2): dV/dp(t*/2) (linear between the solver's time steps) +
  dV/dt(t*/2) dt*/dp / 2;
- retention Q_a / Q_b by the quotient rule.

A step that fails (solver failure, cut-off at once) gives its capacity residual as if it
delivered nothing (or its partial capacity) and a fixed residual of ``FAILED_RESIDUAL`` for other
quantities, with zero derivatives, so the optimiser moves away from it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pybamm

from nasim.fit.loading import LoadedFit, ResolvedDataset
from nasim.fit.parallel import Workers
from nasim.protocols.plan import PlannedStep
from nasim.simulate.ends import SimulationError
from nasim.simulate.engine import CellRunner, StepSolution
from nasim.simulate.execute import execute
from nasim.simulate.tolerances import PYBAMM_ATOL

FAILED_RESIDUAL = 100.0  # in units of sigma
#: IDAKLU's default tolerances (PyBaMM's, atol 1e-6 on every state: fits do not take the
#: replays' looser atol on the potentials, nasim.simulate.tolerances, with which the
#: heo_rate_25C fit stopped at cost 6.78 instead of 4.93) and the tighter ones a dataset whose
#: sensitivity solve failed is solved again with, before falling back to finite differences
DEFAULT_RTOL = 1e-4
FIT_TOLERANCES = {"rtol": DEFAULT_RTOL, "atol": PYBAMM_ATOL}
TIGHT_TOLERANCES = {"rtol": 1e-6, "atol": 1e-8}
#: central-difference step in the optimiser's scaled variable (log10 p, or p normalised to its
#: bounds): the cube root of the solver's relative tolerance balances truncation error (h^2)
#: against solver noise (rtol / h); doubled while forward and backward slopes disagree
FD_STEP = DEFAULT_RTOL ** (1.0 / 3.0)
FD_MAX_DOUBLINGS = 2
#: a step with a measured curve runs this far past its voltage cut-off, so that every measured
#: point lies inside the simulation and the residuals stay smooth in the parameters (a curve
#: cut at the model's own end time would make the last points jump as the end moves) [V]
CURVE_EXTENSION_V = 0.3


@dataclass
class StepResult:
    """What the fit needs from one solved step: the output times (from the step start),
    voltages and their sensitivities dV/dp (n_t x n_p, or None), and for a step without a
    curve (solved at the solver's own time steps) its capacity, median voltage and their
    derivatives."""

    step: PlannedStep
    time_s: np.ndarray
    voltage_V: np.ndarray
    dV_dp: np.ndarray | None
    termination: str
    capacity_mAh_per_g: float = float("nan")
    median_voltage_V: float = float("nan")
    specific_energy_Wh_per_kg: float = float("nan")
    dQ_dp: np.ndarray | None = None
    dVmedian_dp: np.ndarray | None = None
    dE_dp: np.ndarray | None = None
    #: the PyBaMM solution of the step (FitResult.solutions keeps the final evaluation's)
    solution: pybamm.Solution | None = None


@dataclass
class Evaluation:
    """Residuals (scaled), their Jacobian w.r.t. the SI parameter values (or None), and the
    simulated values behind them."""

    residuals: np.ndarray
    jacobian: np.ndarray | None
    rows: list[dict] = field(default_factory=list)  # one per residual: dataset, kind, ...
    steps: dict[tuple[int, str], StepResult | SimulationError] = field(default_factory=dict)


def _beyond_end_row(s: StepResult, curve, t_end: float) -> np.ndarray:
    """d/dp of V(t*) - V_meas(t*) for a curve step that ended at t* before measured points.

    Ended at its voltage cut-off: V(t*) is the cut-off and t* moves with the curve, whose last
    output interval (where the voltage plunges) is too coarse for dV/dt: t* is taken to move
    as the time at which the curve passes the third-last output's voltage does,
    -(dV/dp)/(dV/dt) there (dV/dt a central difference over its neighbours), so the row is
    -V_meas'(t*) dt*/dp. Ended by time (or too few outputs): t* is fixed and V(t*) moves."""
    t, v = s.time_s, s.voltage_V
    dv_end = s.dV_dp[-1]
    if s.step.mode != "current" or len(t) < 4 or not np.all(np.diff(t[-4:]) > 0):
        return dv_end
    falling = v[-1] < v[-2] if s.step.current_A > 0 else v[-1] > v[-2]
    slope = (v[-2] - v[-4]) / (t[-2] - t[-4])
    if not falling or slope == 0 or np.sign(slope) != np.sign(v[-1] - v[-2]):
        return dv_end
    dt_end_dp = -s.dV_dp[-3] / slope
    k = int(np.clip(np.searchsorted(curve.time_s, t_end), 1, len(curve.time_s) - 1))
    dt = curve.time_s[k] - curve.time_s[k - 1]
    measured_slope = (curve.voltage_V[k] - curve.voltage_V[k - 1]) / dt if dt > 0 else 0.0
    return -measured_slope * dt_end_dp


class FitListener:
    """The fit's listener of :func:`nasim.simulate.execute.execute`: the solved steps whose
    labels are ``needed`` (and every labelled step that failed), until it has them all. A step
    with a measured curve runs ``CURVE_EXTENSION_V`` past its cut-offs, with the curve's times
    (and 200 more up to its last one) as output times [s]."""

    batch_rates = False

    def __init__(self, ds: ResolvedDataset, needed: set[str]):
        self.needed = needed
        self.out: dict[str, StepSolution | SimulationError] = {}
        #: a failed step without a label (a charge before a measured discharge): the needed
        #: steps after it fail too (they would start from a stale state)
        self.broken: SimulationError | None = None
        self.curve_times: dict[str, list[np.ndarray]] = {}
        for c in ds.curves:
            self.curve_times.setdefault(c.step, []).append(c.time_s)

    def prepare(self, step: PlannedStep) -> tuple[PlannedStep, np.ndarray | None]:
        if step.label not in self.curve_times:
            return step, None
        measured = np.concatenate(self.curve_times[step.label])
        return (replace(step, lower_voltage_V=step.lower_voltage_V - CURVE_EXTENSION_V,
                        upper_voltage_V=step.upper_voltage_V + CURVE_EXTENSION_V),
                np.union1d(measured, np.linspace(0.0, measured.max(), 200)))

    def needs(self, step: PlannedStep) -> bool:
        return step.label in self.needed

    def done(self) -> bool:
        return self.needed <= set(self.out)

    def keeps(self, step: PlannedStep) -> bool:
        return step.label in self.needed

    def solved(self, solved: StepSolution) -> None:
        if solved.step.label in self.needed:
            self.out[solved.step.label] = self.broken or solved

    def failed(self, step: PlannedStep, exc: SimulationError) -> None:
        if step.label is not None:
            self.out[step.label] = exc
        elif self.broken is None:
            self.broken = SimulationError(f"an earlier step failed: {exc.reason}")

    def skipped(self, step: PlannedStep, why: str) -> None:
        """Nothing recorded: a target on a skipped step counts as not simulated."""

    def not_run(self, step: PlannedStep) -> None:
        """Nothing recorded: a target after the end of life counts as not simulated."""


def _failed(steps: dict) -> bool:
    return any(isinstance(v, SimulationError) for v in steps.values())


class FitProblem:
    """Residuals of a loaded fit as a function of the fitted values (SI)."""

    def __init__(self, fit: LoadedFit, *, sensitivities: bool | None = None,
                 processes: int | None = None):
        self.fit = fit
        opts = fit.definition.options
        self.sensitivities = (opts.jacobian == "sensitivities" if sensitivities is None
                              else sensitivities)
        #: the fit's processes, this one included (:mod:`nasim.fit.parallel`)
        self.workers = Workers(fit, opts.processes if processes is None else processes,
                               self.sensitivities)
        self._seconds = {k: 1.0 for k in range(len(fit.datasets))}  # last solve time [s]
        self.names = [p.path for p in fit.parameters]
        self._runners: dict[tuple[float, bool, tuple[str, ...]], CellRunner] = {}
        self.n_evaluations = 0
        self.n_fallbacks = 0  # datasets whose Jacobian fell back to finite differences
        self.n_tight = 0  # datasets solved again at tight tolerances

    def runner(self, soc: float, values: dict[str, float], sens: bool,
               aging: tuple[str, ...] = (), tight: bool = False) -> CellRunner:
        """The built model for initial state ``soc`` and the protocol's aging mechanisms, with
        or without sensitivities (``tight``: at ``TIGHT_TOLERANCES``)."""
        key = (soc, sens, aging, tight)
        if key not in self._runners:
            self._runners[key] = CellRunner(
                self.fit.cell, self.fit.definition.model, initial_soc=soc,
                mesh_points=self.fit.definition.options.mesh_points, inputs=values,
                sensitivities=sens, solver_time_steps=True, aging=aging,
                tolerances=TIGHT_TOLERANCES if tight else FIT_TOLERANCES)
        runner = self._runners[key]
        runner.set_inputs(values)
        return runner

    # ------------------------------------------------------------------ simulation
    def _sens(self, sol: pybamm.Solution, sens: bool) -> np.ndarray | None:
        if not sens:
            return None
        sens = sol["Voltage [V]"].sensitivities
        n = len(sol.t)
        return np.column_stack([np.asarray(sens[k], dtype=float).reshape(n, -1)[:, 0]
                                for k in self.names])

    def _result(self, solved: StepSolution, curve: bool, sens: bool) -> StepResult:
        """A curve step was solved with its measured times as outputs (values and
        sensitivities there are the solver's own interpolation); any other step at the
        solver's time steps, whose states PyBaMM interpolates as a Hermite spline: the end
        (a cut-off event) is exact, and voltages elsewhere are evaluated from that spline."""
        sol = solved.solution
        t0 = float(sol.t[0])
        t = np.asarray(sol.t) - t0
        v = np.asarray(sol["Voltage [V]"].entries, dtype=float)
        dv = self._sens(sol, sens)
        result = StepResult(solved.step, t, v, dv, solved.termination, solution=sol)
        if curve:
            return result
        voltage = sol["Voltage [V]"]
        t_end = float(t[-1])
        per_s = abs(solved.step.current_A) / 3.6 / (
            self.fit.cell.design.cathode_active_mass_kg * 1e3)  # mAh/g per s
        result.capacity_mAh_per_g = per_s * t_end
        delta = max(1e-4 * t_end, 1e-3)
        # dV/dt at the end from the Hermite spline, whose derivative at a solver step is the
        # states' own: over 1e-4 of the step (session 8) the difference averaged the plunge
        # before a steep cut-off (SPM at 5C: 7.7x too shallow, dQ/dp 7.7x too large)
        end_delta = 1e-7 * max(t_end, 1.0)
        tm = t_end / 2.0
        vm, vm_lo, vm_hi, v_before_end = np.asarray(
            voltage(t=t0 + np.array([tm, tm - delta, tm + delta, t_end - end_delta])),
            dtype=float).ravel()
        result.median_voltage_V = float(vm)
        # per gram of cathode active mass: per_s * integral of V dt [mAh/g V = Wh/kg], on the
        # solver's steps (the end, a cut-off event, is exact)
        result.specific_energy_Wh_per_kg = per_s * float(np.trapezoid(v, t))
        if dv is not None:
            ended_by_time = (solved.step.time_limited
                             or "time or capacity limit" in solved.termination)
            slope = (v[-1] - v_before_end) / end_delta
            dt_end = (np.zeros(len(self.names)) if ended_by_time or slope == 0
                      else -dv[-1] / slope)
            result.dQ_dp = per_s * dt_end
            s_mid = np.array([np.interp(tm, t, dv[:, j]) for j in range(dv.shape[1])])
            result.dVmedian_dp = s_mid + (vm_hi - vm_lo) / (2 * delta) * dt_end / 2.0
            # the integral moves with V(t) and with its end time (at the cut-off voltage)
            result.dE_dp = per_s * (np.trapezoid(dv, t, axis=0) + v[-1] * dt_end)
        return result

    def _simulate(self, ds: ResolvedDataset, values: dict[str, float], needed: set[str],
                  sens: bool, tight: bool = False) -> dict[str, StepResult | SimulationError]:
        """Solve the steps of ``ds`` up to the last one in ``needed`` (labels)."""
        runner = self.runner(ds.initial_soc, values, sens, tuple(ds.plan.protocol.aging.mechanisms),
                             tight)
        listener = FitListener(ds, needed)
        execute(ds.plan, runner, listener)
        return {label: (self._result(solved, label in listener.curve_times, sens)
                        if isinstance(solved, StepSolution) else solved)
                for label, solved in listener.out.items()}

    # ------------------------------------------------------------------ residuals
    def evaluate(self, values_si: np.ndarray, local: bool = False) -> Evaluation:
        """Residuals (and Jacobian d r / d p_SI when sensitivities are on) at ``values_si``,
        the datasets solved side by side on the fit's processes (:mod:`nasim.fit.parallel`;
        ``local``: all in this process, so that every solved step keeps its PyBaMM solution).
        See :meth:`solve_dataset`."""
        self.n_evaluations += 1
        values = dict(zip(self.names, map(float, values_si), strict=True))
        tasks = [(k, values, local) for k in range(len(self.fit.datasets))]
        outs = ([self.solve_dataset(*t) for t in tasks] if local else
                self.workers.map(self.solve_dataset, "solve_dataset", tasks,
                                 [self._seconds[k] for k in range(len(tasks))]))
        res, jac, rows, steps = [], [], [], {}
        for k, (r, j, rw, st, tight, fallback, seconds) in enumerate(outs):
            self.n_tight += tight
            self.n_fallbacks += fallback
            self._seconds[k] = seconds
            res.extend(r)
            if j is not None:
                jac.append(np.asarray(j).reshape(len(r), len(self.names)))
            rows.extend(rw)
            steps.update({(k, label): v for label, v in st.items()})
        jacobian = np.vstack(jac) if self.sensitivities and jac else None
        return Evaluation(np.asarray(res, dtype=float), jacobian, rows, steps)

    def solve_dataset(self, k: int, values: dict[str, float], keep_solutions: bool):
        """Residuals, Jacobian rows (None without sensitivities), report rows and solved steps
        (``keep_solutions``: with their PyBaMM solutions) of dataset ``k``, and whether it was
        solved again at tight tolerances, whether its Jacobian fell back to finite
        differences, and its wall time [s].

        A dataset whose steps the solver cannot carry with sensitivities (IDAS fails on the
        sensitivity equations, e.g. near an electrolyte emptied at a high rate, or accepts a
        step into NaN states at the top of a charge) is solved again with sensitivities at
        ``TIGHT_TOLERANCES``; if that fails too, without them, and its Jacobian rows come from
        central finite differences on the built model (:meth:`fd_column`)."""
        tic = time.perf_counter()
        ds = self.fit.datasets[k]
        tight = fallback = False
        r, j, rw, st = self._dataset(k, ds, values, self.sensitivities)
        if self.sensitivities and _failed(st):
            r, j, rw, st = self._dataset(k, ds, values, True, tight=True)
            tight = True
        if self.sensitivities and _failed(st):
            r, _, rw, st = self._dataset(k, ds, values, False)
            r0 = np.asarray(r)
            j = np.column_stack([self.fd_column(k, i, values, r0)
                                 for i in range(len(self.names))])
            fallback = True
        if not keep_solutions:
            st = {label: replace(v, solution=None) if isinstance(v, StepResult) else v
                  for label, v in st.items()}
        return r, j, rw, st, tight, fallback, time.perf_counter() - tic

    def fd_jacobian(self, values_si: np.ndarray, ev: Evaluation) -> np.ndarray:
        """dr/dp (SI) at an evaluation without sensitivities: every (dataset, parameter)
        column by :meth:`fd_column`, side by side on the fit's processes."""
        values = dict(zip(self.names, map(float, values_si), strict=True))
        owner = np.array([r["dataset"] for r in ev.rows])
        tasks = [(k, j, values, ev.residuals[owner == k])
                 for k in range(len(self.fit.datasets)) for j in range(len(self.names))]
        cols = self.workers.map(self.fd_column, "fd_column", tasks,
                                [self._seconds[t[0]] for t in tasks])
        out = np.zeros((len(ev.residuals), len(self.names)))
        for (k, j, _, _), col in zip(tasks, cols, strict=True):
            out[owner == k, j] = col
        return out

    def fd_column(self, k: int, j: int, values: dict[str, float], r0: np.ndarray
                  ) -> np.ndarray:
        """dr/dp_j of dataset ``k`` by central differences with a step ``FD_STEP`` in the
        scaled variable (see there), checked: while the forward and backward slopes of the
        residual that moves most disagree by more than half their mean (solver noise), the
        step is doubled. Next to a bound the difference is one-sided."""
        ds, p = self.fit.datasets[k], self.fit.parameters[j]
        lo, hi = p.bounds_si
        v = values[p.path]
        h_z = FD_STEP
        for _ in range(FD_MAX_DOUBLINGS + 1):
            if p.scale == "log":
                up, down = v * 10.0 ** h_z, v * 10.0 ** -h_z
            else:
                up, down = v + h_z * (hi - lo), v - h_z * (hi - lo)
            up, down = min(up, hi), max(down, lo)
            r_up = (np.asarray(self._dataset(k, ds, {**values, p.path: up}, False)[0])
                    if up > v else r0)
            r_down = (np.asarray(self._dataset(k, ds, {**values, p.path: down}, False)[0])
                      if down < v else r0)
            col = (r_up - r_down) / (up - down)
            if up == v or down == v:
                break
            fwd, bwd = (r_up - r0) / (up - v), (r0 - r_down) / (v - down)
            i = int(np.argmax(np.abs(col)))
            if abs(fwd[i] - bwd[i]) <= 0.5 * abs(col[i]) or col[i] == 0:
                break
            h_z *= 2.0
        return col

    def _dataset(self, k: int, ds: ResolvedDataset, values: dict[str, float], sens: bool,
                 tight: bool = False):
        """Residuals, Jacobian rows (None without ``sens``), report rows and solved steps."""
        res: list[float] = []
        jac: list[np.ndarray] = []
        rows: list[dict] = []
        p = len(self.names)
        zero = np.zeros(p)
        needed = {c.step for c in ds.curves} | {t.step for t in ds.targets} | {
            t.relative_to for t in ds.targets if t.relative_to}
        solved = self._simulate(ds, values, needed, sens, tight)
        for c in ds.curves:
            s = solved.get(c.step)
            w = ds.weight * c.weight / c.sigma_V
            if not isinstance(s, StepResult):
                res.extend([FAILED_RESIDUAL] * len(c.time_s))
                jac.extend([zero] * len(c.time_s))
                model_v = np.full(len(c.time_s), np.nan)
            else:
                t_end = s.time_s[-1]
                tq = np.minimum(c.time_s, t_end)  # outputs at these times
                model_v = np.interp(tq, s.time_s, s.voltage_V)
                beyond = c.time_s > t_end
                measured_at_end = float(np.interp(t_end, c.time_s, c.voltage_V))
                res.extend(w * (model_v - np.where(beyond, measured_at_end, c.voltage_V)))
                if s.dV_dp is not None:
                    end_row = _beyond_end_row(s, c, t_end) if beyond.any() else zero
                    for i in range(len(tq)):
                        g = (end_row if beyond[i] else
                             np.array([np.interp(tq[i], s.time_s, s.dV_dp[:, j])
                                       for j in range(p)]))
                        jac.append(w * g)
            for i in range(len(c.time_s)):
                rows.append({"dataset": k, "kind": "curve", "step": c.step,
                             "x": float(c.x[i]), "measured": float(c.voltage_V[i]),
                             "simulated": float(model_v[i])})
        for t in ds.targets:
            value, grad = self._target(t, solved)
            w = ds.weight * t.weight / t.sigma
            if value is None:
                fallback = (0.0 if t.quantity == "capacity_mAh_per_g"
                            else t.value + FAILED_RESIDUAL * t.sigma)
                partial = getattr(solved.get(t.step), "partial_capacity_mAh_per_g", None)
                if (t.quantity == "capacity_mAh_per_g" and partial is not None
                        and np.isfinite(partial)):
                    fallback = partial
                res.append(w * (fallback - t.value))
                jac.append(zero)
                sim = float("nan")
            else:
                res.append(w * (value - t.value))
                jac.append(w * grad if grad is not None else zero)
                sim = value
            rows.append({"dataset": k, "kind": "target", "step": t.step,
                         "quantity": t.quantity, "label": t.label, "measured": t.value,
                         "simulated": sim, "relative_error": (sim - t.value) / t.value})
        return res, (jac if sens else None), rows, solved

    def _target(self, t, solved) -> tuple[float | None, np.ndarray | None]:
        s = solved.get(t.step)
        if not isinstance(s, StepResult):
            return None, None
        if t.quantity == "capacity_mAh_per_g":
            return s.capacity_mAh_per_g, s.dQ_dp
        if t.quantity == "median_voltage_V":
            return s.median_voltage_V, s.dVmedian_dp
        if t.quantity == "specific_energy_Wh_per_kg_cathode":
            return s.specific_energy_Wh_per_kg, s.dE_dp
        ref = solved.get(t.relative_to)
        if not isinstance(ref, StepResult):
            return None, None
        qa, qb = s.capacity_mAh_per_g, ref.capacity_mAh_per_g
        if s.dQ_dp is None:
            return qa / qb, None
        return qa / qb, s.dQ_dp / qb - qa * ref.dQ_dp / qb**2
