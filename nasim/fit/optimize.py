"""Multi-start bounded least squares on a :class:`~nasim.fit.problem.FitProblem`, and the
uncertainty of the result.

The optimiser (scipy's trust-region-reflective ``least_squares``) works on scaled variables
z: z = log10(p) for ``scale: log``, z = (p - lower) / (upper - lower) for ``linear``. The
Jacobian is the sensitivity Jacobian times dp/dz, or scipy's finite differences on the built
model. Start 1 is the fit file's initial values, the others a Latin hypercube over the bounds.

Uncertainty (at the best start): cov(z) = s^2 (J^T J)^-1 with J the Jacobian of the scaled
residuals in z and s^2 = SSR / (n - p) (1 when n <= p: the sigmas are then taken as the data's
standard deviations), 95 % intervals z +- t(0.975, n - p) sqrt(cov) mapped back to p (for log
scale an interval symmetric in log10 p). A parameter is flagged not identifiable when its
interval spans both bounds, when J has (numerically) no information on it, or when it
correlates with another parameter beyond |r| = 0.95, or when it ends on a bound.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy import stats
from scipy.optimize import least_squares
from scipy.stats import qmc

from nasim.fit.loading import ResolvedParameter
from nasim.fit.problem import Evaluation, FitProblem

CORRELATION_LIMIT = 0.95


@dataclass
class StartResult:
    start: int
    z0: list[float]
    cost: float
    values_si: list[float]
    n_evaluations: int
    status: str
    z_final: list[float] = field(default_factory=list)  # where it ended, scaled variables
    costs: list[float] = field(default_factory=list)  # the cost of each evaluation, in order


class FitInterrupted(KeyboardInterrupt):
    """Ctrl-C during a fit: the starts that finished and the best point evaluated so far
    (see :mod:`nasim.fit.resume`)."""

    def __init__(self, starts: list[StartResult], best_values_si: list[float] | None,
                 best_cost: float, n_evaluations: int):
        super().__init__("fit interrupted")
        self.starts, self.best_values_si = starts, best_values_si
        self.best_cost, self.n_evaluations = best_cost, n_evaluations


@dataclass
class Optimum:
    values_si: np.ndarray
    cost: float
    evaluation: Evaluation
    ci_si: np.ndarray  # (p, 2)
    correlation: np.ndarray
    identifiable: list[bool]
    notes: dict[str, list[str]]
    starts: list[StartResult] = field(default_factory=list)
    n_evaluations: int = 0
    wall_time_s: float = 0.0
    dof: int = 0


class _Scaling:
    def __init__(self, params: list[ResolvedParameter]):
        self.params = params
        self.log = np.array([p.scale == "log" for p in params])
        lo = np.array([p.bounds_si[0] for p in params])
        hi = np.array([p.bounds_si[1] for p in params])
        self.lo, self.hi = lo, hi
        self.z_lo = np.where(self.log, np.log10(np.where(self.log, lo, 1.0)), 0.0)
        self.z_hi = np.where(self.log, np.log10(np.where(self.log, hi, 1.0)), 1.0)

    def to_p(self, z: np.ndarray) -> np.ndarray:
        return np.where(self.log, 10.0 ** z, self.lo + z * (self.hi - self.lo))

    def to_z(self, p: np.ndarray) -> np.ndarray:
        return np.where(self.log, np.log10(np.where(self.log, p, 1.0)),
                        (p - self.lo) / (self.hi - self.lo))

    def dp_dz(self, z: np.ndarray) -> np.ndarray:
        return np.where(self.log, np.log(10.0) * 10.0 ** z, self.hi - self.lo)


def _starts(scaling: _Scaling, z_initial: np.ndarray, n: int, seed: int) -> list[np.ndarray]:
    out = [z_initial]
    if n > 1:
        sample = qmc.LatinHypercube(d=len(z_initial), seed=seed).random(n - 1)
        # keep 5 % away from the bounds: a start on a bound has a one-sided trust region
        sample = 0.05 + 0.9 * sample
        out += list(scaling.z_lo + sample * (scaling.z_hi - scaling.z_lo))
    return out


def optimise(problem: FitProblem, progress=None, done: list[StartResult] | tuple = (),
             on_start=None) -> Optimum:
    """Fit; ``progress`` (a tqdm bar or None) is advanced once per model evaluation. ``done``:
    starts finished earlier (not run again); ``on_start(StartResult)`` is called as each
    start ends. Ctrl-C raises :class:`FitInterrupted`."""
    record = _Record()
    try:
        return _optimise(problem, progress, list(done), on_start, record)
    except KeyboardInterrupt:
        raise FitInterrupted(record.starts, record.best_values_si, record.best_cost,
                             problem.n_evaluations) from None
    finally:
        problem.workers.close()


@dataclass
class _Record:
    """What an interrupted fit keeps: finished starts, the best point evaluated."""

    starts: list[StartResult] = field(default_factory=list)
    best_cost: float = math.inf
    best_values_si: list[float] | None = None


def _optimise(problem: FitProblem, progress, done: list[StartResult], on_start,
              record: _Record) -> Optimum:
    tic = time.perf_counter()
    opts = problem.fit.definition.options
    scaling = _Scaling(problem.fit.parameters)
    z_init = scaling.to_z(np.array([p.initial_si for p in problem.fit.parameters]))
    cache: dict[bytes, Evaluation] = {}
    costs: list[float] = []  # of the running start

    def evaluate(z: np.ndarray) -> Evaluation:
        key = np.asarray(z, dtype=float).tobytes()
        if key not in cache:
            cache.clear()  # least_squares asks for f and J at the same point, in that order
            cache[key] = problem.evaluate(scaling.to_p(z))
            cost = 0.5 * float(np.sum(cache[key].residuals ** 2))
            costs.append(cost)
            if cost < record.best_cost:
                record.best_cost, record.best_values_si = cost, scaling.to_p(z).tolist()
            if progress is not None:
                progress.update(1)
                progress.set_postfix(cost=f"{cost:.4g}")
        return cache[key]

    def fun(z):
        return evaluate(z).residuals

    def jac_at(ev: Evaluation, z: np.ndarray) -> np.ndarray:
        if ev.jacobian is None:  # finite differences, only where the optimiser asks
            ev.jacobian = problem.fd_jacobian(scaling.to_p(z), ev)
        return ev.jacobian * scaling.dp_dz(z)[None, :]

    last: dict = {}  # the running start's last Jacobian (scaled), its point and residuals

    def jac(z):
        """A new Jacobian, or (``options.broyden_steps``, finite differences) the last one
        updated by Broyden's rank-one formula J += (dr - J dz) dz^T / dz^T dz along the
        accepted step dz, at most that many steps in a row."""
        ev = evaluate(z)
        dz = z - last["z"] if last else np.zeros_like(z)
        if (ev.jacobian is not None or last.get("age", opts.broyden_steps)
                >= opts.broyden_steps or not dz.any()):
            J, age = jac_at(ev, z), 0
        else:
            J = last["J"]
            J = J + np.outer(ev.residuals - last["r"] - J @ dz, dz) / float(dz @ dz)
            age = last["age"] + 1
        last.update(z=np.array(z, dtype=float), r=ev.residuals, J=J, age=age)
        return J

    best: tuple[float, np.ndarray] | None = None
    starts = record.starts
    for i, z0 in enumerate(_starts(scaling, z_init, opts.starts, opts.seed)):
        if i < len(done):  # finished before an interruption: the same start, the same end
            start = done[i]
            if start.cost < record.best_cost:
                record.best_cost, record.best_values_si = start.cost, start.values_si
        else:
            n_before = problem.n_evaluations
            costs.clear()
            last.clear()
            result = least_squares(
                fun, z0, jac=jac, bounds=(scaling.z_lo, scaling.z_hi), method="trf",
                x_scale="jac", max_nfev=opts.max_evaluations, ftol=opts.cost_tolerance,
                xtol=1e-8, gtol=1e-8)
            start = StartResult(i + 1, z0.tolist(), float(result.cost),
                                scaling.to_p(result.x).tolist(),
                                problem.n_evaluations - n_before, result.message,
                                result.x.tolist(), list(costs))
            if on_start is not None:
                on_start(start)
        starts.append(start)
        if best is None or start.cost < best[0]:
            best = (start.cost, np.array(start.z_final))
    cost, z = best
    # its simulated curves go into the report, its solutions into FitResult.solutions
    final = problem.evaluate(scaling.to_p(z), local=True)
    J = jac_at(final, z)
    ci, corr, identifiable, notes, dof = _uncertainty(problem, scaling, z, J,
                                                      final.residuals)
    return Optimum(scaling.to_p(z), cost, final, ci, corr, identifiable, notes, starts,
                   problem.n_evaluations, time.perf_counter() - tic, dof)


def covariance(J: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, int]:
    """The linearised covariance of least-squares values, s^2 (J^T J)^-1 (module docstring),
    for the Jacobian ``J`` of the scaled residuals ``r`` in any variables, and the degrees of
    freedom n - p."""
    n, p = J.shape
    dof = n - p
    s2 = float(r @ r / dof) if dof > 0 else 1.0
    return s2 * np.linalg.pinv(J.T @ J), dof


def _uncertainty(problem: FitProblem, scaling: _Scaling, z: np.ndarray, J: np.ndarray,
                 r: np.ndarray):
    cov, dof = covariance(J, r)
    jtj = J.T @ J
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    q = float(stats.t.ppf(0.975, dof)) if dof > 0 else 1.96
    z_ci = np.column_stack([z - q * sd, z + q * sd])
    ci = np.column_stack([scaling.to_p(z_ci[:, 0]), scaling.to_p(z_ci[:, 1])])
    # a linear-scale interval may leave the physical range; report it as computed
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    corr = np.where(np.isfinite(corr), corr, 0.0)
    np.fill_diagonal(corr, 1.0)
    names = problem.names
    notes: dict[str, list[str]] = {n_: [] for n_ in names}
    information = np.diag(jtj)
    scale = information.max() if information.size else 0.0
    for j, name in enumerate(names):
        if information[j] <= 1e-12 * max(scale, 1e-300):
            notes[name].append("the data carry no information on it (zero sensitivity)")
        if z_ci[j, 0] <= scaling.z_lo[j] and z_ci[j, 1] >= scaling.z_hi[j]:
            notes[name].append("its 95 % interval spans both bounds")
        for k, other in enumerate(names):
            if k != j and abs(corr[j, k]) > CORRELATION_LIMIT:
                notes[name].append(f"correlation {corr[j, k]:+.3f} with {other}")
        span = scaling.z_hi[j] - scaling.z_lo[j]
        if min(z[j] - scaling.z_lo[j], scaling.z_hi[j] - z[j]) < 1e-3 * span:
            notes[name].append("at a bound (the interval is then not meaningful)")
    identifiable = [not notes[n_] for n_ in names]
    return ci, corr, identifiable, notes, dof


def information_criteria(cost: float, k: int, n: int) -> dict:
    """AIC and BIC of a least-squares fit whose residuals are scaled by the data's sigmas
    (known variances): -2 ln L = sum r^2 + const = 2 cost + const, so AIC = 2 cost + 2k and
    BIC = 2 cost + k ln n (comparable between fits of the same targets)."""
    return {"aic": 2.0 * cost + 2.0 * k, "bic": 2.0 * cost + k * float(np.log(n))}
