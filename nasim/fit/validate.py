"""Leave-one-out validation of a fit (``options: {leave_one_out: true}`` in a fit file): for
each dataset, the parameters are fitted to the other datasets (from the file's initial
values, with the same options) and the held-out dataset's targets are evaluated with those
values: how well each dataset is predicted by the rest.

Each prediction carries a linearised 95 % interval from the uncertainty of the values fitted
on the rest: sd^2 = g C g^T, with g the prediction's gradient w.r.t. the SI values and C their
covariance on the rest (:func:`nasim.fit.optimize.covariance`: the targets' sigmas taken as the
data's standard deviations when the rest has no more data than parameters), both from checked
central differences (:meth:`FitProblem.fd_jacobian`) whatever the fit's ``jacobian`` option:
sensitivities carried through cycle jumps are approximate (docs/aging.md), and these few
columns are cheap beside the fits.
``z`` = error / sqrt(sd^2 + sigma^2), with sigma the held-out target's own: how many standard
deviations the prediction misses by, counting the uncertainty of both."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

import numpy as np
import pandas as pd

from nasim.fit.loading import LoadedFit
from nasim.fit.optimize import covariance, optimise
from nasim.fit.problem import FitProblem


def leave_one_out(fit: LoadedFit, progress=None, held_out: Collection[str] | None = None
                  ) -> list[dict]:
    """One entry per dataset (or per dataset named in ``held_out``): the values fitted without
    it (from ``leave_one_out_initial``) and its targets predicted."""
    start = fit.definition.options.leave_one_out_initial
    unknown = set(start) - {p.path for p in fit.parameters}
    if unknown:
        raise ValueError(f"leave_one_out_initial: not fitted parameters {sorted(unknown)}")
    names = [d.name for d in fit.datasets]
    if held_out is not None and set(held_out) - set(names):
        raise ValueError(f"held_out: no dataset named {sorted(set(held_out) - set(names))} "
                         f"in the fit (its datasets: {names})")
    parameters = [replace(p, initial_si=start[p.path] * p.factor) if p.path in start else p
                  for p in fit.parameters]
    out = []
    for i, held in enumerate(fit.datasets):
        if held_out is not None and held.name not in held_out:
            continue
        rest = [d for j, d in enumerate(fit.datasets) if j != i]
        optimum = optimise(FitProblem(replace(fit, datasets=rest, parameters=parameters)),
                           progress)
        rows, sd = _prediction_sd(replace(fit, datasets=rest), replace(fit, datasets=[held]),
                                  np.asarray(optimum.values_si))
        rows = pd.DataFrame(rows)
        targets = rows[rows.kind == "target"] if len(rows) else rows
        out.append({
            "held_out": held.name,
            "fitted_on": [d.name for d in rest],
            "values": {p.path: p.to_unit(float(v)) for p, v in
                       zip(fit.parameters, optimum.values_si, strict=True)},
            "units": {p.path: p.unit for p in fit.parameters},
            "cost": float(optimum.cost),
            "n_evaluations": optimum.n_evaluations,
            "targets": [_target_row(r, t, s) for r, t, s in
                        zip(targets.itertuples(), held.targets, sd, strict=True)],
        })
    return out


def _fd(fit: LoadedFit, values_si: np.ndarray):
    """The evaluation of ``fit`` at ``values_si`` and its finite-difference Jacobian."""
    problem = FitProblem(fit, sensitivities=False)
    try:
        evaluation = problem.evaluate(values_si)
        return evaluation, problem.fd_jacobian(values_si, evaluation)
    finally:
        problem.workers.close()


def _prediction_sd(rest: LoadedFit, held_fit: LoadedFit, values_si: np.ndarray
                   ) -> tuple[list[dict], list[float]]:
    """The report rows of the held-out dataset (``held_fit``'s one) evaluated at ``values_si``
    (fitted on ``rest``), and the linearised standard deviation of each of its target
    predictions (NaN: none; module docstring)."""
    evaluation, J = _fd(rest, values_si)
    cov, _ = covariance(J, evaluation.residuals)
    held_evaluation, G = _fd(held_fit, values_si)
    (held,) = held_fit.datasets
    n_targets = len(held.targets)
    sd = []
    for t, row in zip(held.targets, G[len(G) - n_targets:], strict=True):
        g = row * t.sigma / (held.weight * t.weight)  # d prediction / d p_SI
        var = float(g @ cov @ g)
        sd.append(np.sqrt(var) if np.isfinite(var) and var >= 0 else float("nan"))
    return held_evaluation.rows, sd


def _target_row(row, target, sd: float) -> dict:
    error = row.simulated - row.measured
    half = 1.96 * sd
    return {"step": row.step, "quantity": row.quantity, "measured": row.measured,
            "predicted": row.simulated, "error": error, "prediction_sd": sd,
            "interval_95": [row.simulated - half, row.simulated + half],
            "measured_sigma": target.sigma,
            "z": error / float(np.hypot(sd, target.sigma))}


def _short(path: str) -> str:
    """``cathode.degradation.strain_relaxation.activation_energy`` -> ``strain_relaxation``."""
    parts = path.split(".")
    return parts[-2] if parts[-1] == "activation_energy" else parts[-1]


def markdown(rows: list[dict]) -> list[str]:
    """The report's leave-one-out section."""
    lines = ["## Leave-one-out validation", "",
             "Each dataset held out in turn: the parameters fitted to the others (from the "
             "fit file's leave_one_out_initial values, else its initial values), the held-out "
             "targets predicted with them, with a linearised 95 % interval from the uncertainty "
             "of those values (the targets' sigmas as the data's standard deviations); z is the "
             "error in standard deviations of prediction and measurement together.", "",
             "| held out | quantity | measured | predicted | 95 % interval | error | z | "
             "values fitted on the rest |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        values = ", ".join(f"`{_short(k)}` {v:.4g} {r['units'][k] or ''}"
                           for k, v in r["values"].items())
        for t in r["targets"]:
            ok = t["predicted"] == t["predicted"]  # not NaN
            lo, hi = t["interval_95"]
            predicted = (f"{t['predicted']:.4g} | [{lo:.4g}, {hi:.4g}] | {t['error']:+.4f} | "
                         f"{t['z']:+.2f}" if ok else
                         "not simulated: the cycling ended before this cycle (end of life or "
                         "a failed step) | — | — | —")
            lines.append(f"| {r['held_out']} | {t['quantity']} ({t['step']}) | "
                         f"{t['measured']:.4g} | {predicted} | {values} |")
    return lines + [""]


def _quantities(node, prefix: str):
    """(path, Quantity) of every quantity under a pydantic section, depth first."""
    for name in type(node).model_fields:
        value = getattr(node, name)
        if value is None:
            continue
        if hasattr(value, "source") and hasattr(value, "unit"):
            yield f"{prefix}.{name}", value
        elif hasattr(type(value), "model_fields"):
            yield from _quantities(value, f"{prefix}.{name}")


def aging_parameters(fit: LoadedFit, values: dict[str, float]) -> list[dict]:
    """Every aging constant of the fit's cathode (``cathode.degradation``) and, for a full
    cell, of the anode's SEI: value (the fitted one where fitted, in the file's unit), source
    kind and the source's literature / plausible range."""
    fitted = {p.path: p for p in fit.parameters}
    sections = [("cathode.degradation", fit.cell.cathode.degradation)]
    if fit.cell.anode is not None:
        sections.append(("anode.sei", fit.cell.anode.sei))
    rows = []
    for prefix, section in sections:
        if section is None:
            continue
        for path, q in _quantities(section, prefix):
            value = q.value
            if path in fitted:
                value = float(q.value * values[path] / q.si) if q.si else values[path]
            rng = getattr(q.source, "range", None)
            inside = None if rng is None else bool(rng[0] <= value <= rng[1])
            rows.append({"path": path, "value": value, "unit": q.unit,
                         "fitted": path in fitted, "source": q.source.kind,
                         "range": list(rng) if rng is not None else None,
                         "inside_range": inside,
                         "range_source": getattr(q.source, "range_source", None)})
    return rows


def aging_markdown(rows: list[dict]) -> list[str]:
    lines = ["## Aging parameters and their ranges", "",
             "| parameter | value | unit | source | range | inside |", "|---|---|---|---|---|---|"]
    for r in rows:
        rng = "—" if r["range"] is None else f"[{r['range'][0]:.4g}, {r['range'][1]:.4g}]"
        inside = "" if r["inside_range"] is None else ("yes" if r["inside_range"] else "**no**")
        kind = r["source"] + (" (this fit)" if r["fitted"] else "")
        lines.append(f"| `{r['path']}` | {r['value']:.4g} | {r['unit']} | {kind} | {rng} | "
                     f"{inside} |")
    return lines + [""]
