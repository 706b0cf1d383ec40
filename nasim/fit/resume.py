"""An interrupted fit: its finished starts kept in ``fit_state.json`` and a partial report.

Each start of the multi-start optimiser is appended to ``out/fit_state.json`` when it ends
(atomically, with the fit's identity: a hash of the fit definition with its options and of
the contents of every file it reads). Ctrl-C writes ``fit_report_partial.json`` and
``fit_report_partial.md`` (the best point evaluated so far, the finished starts); ``nasim fit
... --resume`` (``fit(..., resume=True)``) then skips the finished starts, runs the others from
their own start points and writes the full report, as the uninterrupted fit would.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from nasim.fit.loading import LoadedFit
from nasim.fit.optimize import FitInterrupted, StartResult
from nasim.rundir import write_text

STATE_FILE = "fit_state.json"
PARTIAL_JSON, PARTIAL_MD = "fit_report_partial.json", "fit_report_partial.md"


def identity(fit: LoadedFit) -> str:
    """Hash of the fit definition (options included) and of the files it reads."""
    h = hashlib.sha256(fit.definition.model_dump_json().encode())
    paths = [fit.path, *fit.cell.files().values(),
             *(ds.protocol.path for ds in fit.datasets),
             *(c.file for ds in fit.datasets for c in ds.curves)]
    for p in paths:
        h.update(str(Path(p).name).encode())
        h.update(Path(p).read_bytes())
    return h.hexdigest()[:16]


class FitState:
    """The finished starts of one fit in ``out/fit_state.json``."""

    def __init__(self, out: str | Path, fit: LoadedFit):
        self.path = Path(out) / STATE_FILE
        self.identity = identity(fit)
        self.starts: list[StartResult] = []

    def load(self) -> list[StartResult]:
        """The stored starts (bad input when the file is missing or of another fit)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ValueError(f"--resume: no readable {self.path} (nothing to resume; run "
                             "without --resume)") from None
        if data.get("identity") != self.identity:
            raise ValueError(f"--resume: {self.path} belongs to another fit (identity "
                             f"{data.get('identity')}, this fit {self.identity}); give "
                             "--overwrite or another --out")
        self.starts = [StartResult(**s) for s in data.get("starts", [])]
        return list(self.starts)

    def add(self, start: StartResult) -> None:
        """Record a finished start (rewrites the file atomically)."""
        self.starts.append(start)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_text(self.path, json.dumps({"identity": self.identity, "starts": [
            dataclasses.asdict(s) for s in self.starts]}, indent=2))


def write_partial(fit: LoadedFit, stop: FitInterrupted, out: str | Path) -> Path:
    """``fit_report_partial.json`` and ``.md`` in ``out``; returns the markdown's path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    best = stop.best_values_si or []
    values = {p.path: {"value": p.to_unit(v), "unit": p.unit}
              for p, v in zip(fit.parameters, best, strict=False)}
    report = {"name": fit.name, "status": "interrupted", "best_cost": stop.best_cost,
              "best_values": values, "n_evaluations": stop.n_evaluations,
              "starts_finished": [dataclasses.asdict(s) for s in stop.starts],
              "starts_total": fit.definition.options.starts}
    write_text(out / PARTIAL_JSON, json.dumps(report, indent=2, default=float))
    lines = [f"# Fit `{fit.name}`: interrupted", "",
             f"{len(stop.starts)} of {report['starts_total']} starts finished, "
             f"{stop.n_evaluations} evaluations. Best point evaluated so far (cost "
             f"{stop.best_cost:.6g}); no uncertainty. `nasim fit ... --resume` finishes the "
             "fit.", "", "| parameter | value | unit |", "|---|---|---|"]
    lines += [f"| {k} | {v['value']:.6g} | {v['unit']} |" for k, v in values.items()]
    return write_text(out / PARTIAL_MD, "\n".join(lines) + "\n")


__all__ = ["FitInterrupted", "FitState", "STATE_FILE", "identity", "write_partial"]
