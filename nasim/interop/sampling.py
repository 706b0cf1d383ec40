"""PyBaMM parameter values sampled as numbers: functions evaluated on grids, their Arrhenius
factor read back as an activation energy, the range their tables cover, and the rate constant
of an exchange-current function in nasim's form. Shared by the BPX export and the imports."""

from __future__ import annotations

import numpy as np
import pybamm

from nasim.params.constants import FARADAY, GAS_CONSTANT


def evaluate(values: pybamm.ParameterValues, name: str, *args) -> np.ndarray:
    """``values[name]`` (a number or function) at ``args`` (arrays of one length or numbers)."""
    fn = values[name]
    if not callable(fn):
        n = max((np.size(a) for a in args), default=1)
        return np.full(n, float(fn))
    n = max(np.size(a) for a in args)
    symbols = [pybamm.Vector(np.broadcast_to(np.asarray(a, float), (n,)).copy()) for a in args]
    return np.asarray(values.evaluate(fn(*symbols))).reshape(-1)


def table_range(values: pybamm.ParameterValues, build, grid: np.ndarray) -> np.ndarray:
    """The points of ``grid`` inside the x range of every ``pybamm.Interpolant`` in
    ``build(x)`` (a PyBaMM expression of the grid as a vector, e.g. a parameter function with
    its other arguments fixed), so that a table is sampled where it has data, not where PyBaMM
    extrapolates it; the knots of a table whose x is a linear function of the argument (``sto``,
    ``sto * c_max``) are added, so that a linear table is reproduced exactly."""
    n = len(grid)
    expression = build(pybamm.Vector(grid.copy()))
    if not isinstance(expression, pybamm.Symbol):
        return grid
    keep, knots, lo_all, hi_all = np.ones(n, bool), [], grid[0], grid[-1]
    for node in expression.pre_order():
        if not (isinstance(node, pybamm.Interpolant) and len(node.x) == 1):
            continue
        x = np.asarray(values.evaluate(node.children[0])).reshape(-1)
        if x.size != n:
            continue
        lo, hi = node.x[0][0], node.x[0][-1]
        keep &= (x >= lo - 1e-12) & (x <= hi + 1e-12)
        slope = (x[-1] - x[0]) / (grid[-1] - grid[0])
        if slope and np.allclose(x, x[0] + slope * (grid - grid[0]), rtol=1e-9, atol=0):
            at = np.sort(grid[0] + (np.asarray(node.x[0]) - x[0]) / slope)
            knots.append(at)
            lo_all, hi_all = max(lo_all, at[0]), min(hi_all, at[-1])
    inside = grid[keep]
    extra = np.concatenate(knots) if knots else np.array([])
    extra = extra[(extra >= lo_all) & (extra <= hi_all)]
    return np.unique(np.concatenate([inside, extra]))


def function_of(values: pybamm.ParameterValues, name: str, position: int, *args):
    """``build(x)`` for :func:`table_range`: ``values[name]`` with ``x`` as argument number
    ``position`` and ``args`` (numbers) as the others."""
    def build(x: pybamm.Symbol):
        fn = values[name]
        if not callable(fn):
            return fn
        n = x.shape[0]
        full = [pybamm.Vector(np.full(n, float(a))) for a in args]
        full.insert(position, x)
        return fn(*full)
    return build


def activation_energy(sample, t_ref: float, what: str) -> float:
    """Ea of ``sample(T)`` (an array) from T_ref and T_ref + 10 K; checked to be one number."""
    t2 = t_ref + 10.0
    lo, hi = sample(t_ref), sample(t2)
    ok = (lo > 0) & (hi > 0)
    ea = GAS_CONSTANT * np.log(hi[ok] / lo[ok]) / (1.0 / t_ref - 1.0 / t2)
    if not len(ea):
        return 0.0
    if np.ptp(ea) > 1e-6 * max(1.0, abs(ea).max()):
        raise ValueError(f"{what}: its temperature dependence is not one Arrhenius factor "
                         f"(Ea from {ea.min():.4g} to {ea.max():.4g} J/mol)")
    return float(ea.mean()) if abs(ea.mean()) > 1e-6 else 0.0


def rate_constant(values: pybamm.ParameterValues, side: str, sto: np.ndarray,
                  temperature_K: float) -> np.ndarray:
    """nasim's rate constant k [m/s] of PyBaMM's ``<side> electrode exchange-current
    density`` at the initial electrolyte concentration: j0 = F k c_s^(1/2) (c_max - c_s)^(1/2)
    (nasim.physics.values), so k = j0 / (F c_max sqrt(x (1 - x)))."""
    c_max = float(values[f"Maximum concentration in {side.lower()} electrode [mol.m-3]"])
    c_e0 = float(values["Initial concentration in electrolyte [mol.m-3]"])
    j0 = evaluate(values, f"{side} electrode exchange-current density [A.m-2]", c_e0,
                  sto * c_max, c_max, temperature_K)
    return j0 / (FARADAY * c_max * np.sqrt(sto * (1.0 - sto)))
