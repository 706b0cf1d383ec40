"""Fitting parameters to measured curves and scalars: ``nasim.fit("fits/x/fit.yaml")``.

See :mod:`nasim.fit.schema` for the fit file, :mod:`nasim.fit.problem` for the residuals and
their sensitivities, :mod:`nasim.fit.optimize` for the optimiser and the uncertainty, and
:mod:`nasim.fit.output` for what is written (:mod:`nasim.fit.predict` replays the predictions,
:mod:`nasim.plots.fit` draws the figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from nasim.fit.loading import LoadedFit, load_fit
from nasim.fit.optimize import FitInterrupted, Optimum, optimise
from nasim.fit.problem import FitProblem
from nasim.fit.resume import FitState, write_partial
from nasim.fit.validate import leave_one_out

if TYPE_CHECKING:
    import pybamm


@dataclass
class FitResult:
    """A finished fit: the optimum with its uncertainty, and (after :meth:`write`) the report.

    Returned by :func:`nasim.fit`.
    """

    fit: LoadedFit
    optimum: Optimum
    report: dict | None = None
    leave_one_out: list[dict] | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per fitted parameter: value, 95 % interval and bounds in the fit file's
        unit, and the identifiability flag."""
        rows = []
        for j, p in enumerate(self.fit.parameters):
            lo, hi = self.optimum.ci_si[j]
            rows.append({"parameter": p.path, "value": p.to_unit(self.optimum.values_si[j]),
                         "ci95_low": p.to_unit(lo), "ci95_high": p.to_unit(hi),
                         "unit": p.unit, "lower_bound": p.to_unit(p.bounds_si[0]),
                         "upper_bound": p.to_unit(p.bounds_si[1]),
                         "identifiable": self.optimum.identifiable[j],
                         "flags": "; ".join(self.optimum.notes[p.path])})
        return pd.DataFrame(rows)

    @property
    def values(self) -> dict[str, float]:
        """Fitted values in SI units by parameter path."""
        return {p.path: float(v) for p, v in zip(self.fit.parameters, self.optimum.values_si,
                                                 strict=True)}

    @property
    def solutions(self) -> dict[tuple[int, str], pybamm.Solution]:
        """The PyBaMM solutions of the fit's final evaluation (at the fitted values), by
        (dataset index in the fit file, step label): the steps that carry data and those
        solved before them; a step that failed there has none."""
        return {key: step.solution for key, step in self.optimum.evaluation.steps.items()
                if getattr(step, "solution", None) is not None}

    @property
    def solution(self) -> list[pybamm.Solution]:
        """:attr:`solutions` as a list in the order they were solved (one per step, as for
        a replay)."""
        return list(self.solutions.values())

    def write(self, out_dir: str | Path, fmt: str = "png", dpi: int | None = None) -> dict:
        """Write ``fitted/`` (the parameter set), ``fit_report.json``, ``fit_report.md`` and
        the figures (``fmt``: png, svg or pdf; ``dpi`` for png) to ``out_dir``; returns the
        report."""
        from nasim.fit.output import write_all

        self.report = write_all(self.fit, self.optimum, Path(out_dir), fmt, dpi,
                                self.leave_one_out)
        return self.report


def fit(definition: str | Path | LoadedFit, out: str | Path | None = None, *,
        progress: bool = False, starts: int | None = None,
        max_evaluations: int | None = None, resume: bool = False, fmt: str = "png",
        dpi: int | None = None) -> FitResult:
    """Fit the parameters of a fit file to its measured curves and values.

    Parameters
    ----------
    definition
        A fit file (see :mod:`nasim.fit.schema`), e.g. ``fits/heo_rate_25C/fit.yaml``, or a
        loaded one.
    out
        Also write the fitted parameter set, the report and the figures there
        (:meth:`FitResult.write`).
    progress
        Show a progress bar over the model evaluations.
    starts
        Number of starts instead of the file's.
    max_evaluations
        Model evaluations per start instead of the file's.
    resume
        Skip the starts stored by an interrupted run of the same fit in ``out``
        (:mod:`nasim.fit.resume`). With ``out``, each finished start is kept in
        ``out/fit_state.json``.
    fmt, dpi
        Figure format (png, svg or pdf) and PNG resolution of what is written to ``out``.

    Returns
    -------
    FitResult
        The optimum with its 95 % intervals and identifiability (and the report, with
        ``out``).

    Raises
    ------
    ParameterFileError
        The fit file, its data or a file it names is missing or invalid (unknown parameter
        path, unit, inverted bounds, CSV columns, unknown step ...).
    FitInterrupted
        Ctrl-C (with ``out``: a partial report is written there first).

    Examples
    --------
    >>> fitted = nasim.fit("fits/heo_rate_25C/fit.yaml", out="out/fit", max_evaluations=4)
    >>> fitted.to_frame()[["parameter", "value", "ci95_low", "ci95_high", "unit"]]
    """
    loaded = definition if isinstance(definition, LoadedFit) else load_fit(definition)
    updates = {k: v for k, v in (("starts", starts), ("max_evaluations", max_evaluations))
               if v is not None}
    if updates:
        options = loaded.definition.options.model_copy(update=updates)
        loaded.definition = loaded.definition.model_copy(update={"options": options})
    state = FitState(out, loaded) if out is not None else None
    done = state.load() if resume and state is not None else []
    problem = FitProblem(loaded)
    bar = None
    if progress:
        from tqdm import tqdm

        opts = loaded.definition.options
        bar = tqdm(total=opts.starts * opts.max_evaluations, desc=f"fit {loaded.name}",
                   unit="eval", leave=False)
    try:
        optimum = optimise(problem, bar, done, state.add if state is not None else None)
    except FitInterrupted as stop:
        if out is not None:
            write_partial(loaded, stop, out)
        raise
    finally:
        if bar is not None:
            bar.close()
    result = FitResult(loaded, optimum)
    if loaded.definition.options.leave_one_out:
        result.leave_one_out = leave_one_out(loaded)
    if out is not None:
        result.write(out, fmt, dpi)
    return result


__all__ = ["FitResult", "LoadedFit", "fit", "load_fit"]
