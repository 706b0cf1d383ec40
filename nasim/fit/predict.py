"""Predictions of a fit: protocols replayed with the fitted values, compared with measured
values that took no part in the fit (``predictions`` in a fit file; the report lists them)."""

from __future__ import annotations

from nasim.fit.loading import LoadedFit
from nasim.fit.optimize import Optimum
from nasim.params.loading import load_cell
from nasim.params.units import DIMENSIONS
from nasim.physics.values import CELL_INPUT_PATHS
from nasim.protocols import load_protocol
from nasim.simulate.replay import replay


def _override_path(path: str) -> str:
    """A fit path (``cathode.<field>`` = the cathode material file) as a
    :mod:`nasim.params.overrides` path (``cathode.material.<field>``)."""
    role, _, rest = path.partition(".")
    if role in ("cathode", "anode", "counter_electrode") and not rest.startswith("material."):
        return f"{role}.material.{rest}"
    return path


def predictions(fit: LoadedFit, optimum: Optimum) -> list[dict]:
    """Replay each prediction protocol with the fitted values (on its own cell file, or the
    one the prediction names) and compare with its measured values: errors of quantities that
    were not fitted."""
    rows = []
    for pred in fit.definition.predictions:
        protocol = load_protocol(fit.path.parent / pred.protocol)
        cell_path = (fit.path.parent / pred.cell).resolve() if pred.cell else protocol.cell.path
        changes = {}
        for p, v in zip(fit.parameters, optimum.values_si, strict=True):
            if p.path.endswith(".scale") or p.path in CELL_INPUT_PATHS:
                raise ValueError(f"prediction {pred.protocol}: fitted value {p.path!r} cannot be "
                                 "carried to another file by path (a scale or cell value)")
            # in the fit file's unit (that of the files' values and their source ranges)
            changes[_override_path(p.path)] = (
                {"value": p.to_unit(float(v)), "unit": p.unit} if p.unit else
                {"value": float(v), "unit": DIMENSIONS[p.dimension].si_unit})
        try:
            result = replay(protocol, cell=load_cell(cell_path, changes))
        except Exception as exc:  # a prediction that cannot run is reported, not fatal
            rows.append({"protocol": protocol.path.name, "cell": cell_path.name,
                         "quantity": "note", "note": f"could not be replayed: {exc}"})
            continue
        for r in result.comparisons.itertuples():
            rows.append({"protocol": protocol.path.name, "cell": cell_path.name,
                         "quantity": r.quantity, "cycle": r.cycle, "measured": r.measured,
                         "predicted": r.simulated, "relative_error": r.relative_error,
                         "source": r.source})
        rows.extend({"protocol": protocol.path.name, "cell": cell_path.name,
                     "quantity": "note", "note": n} for n in result.notes
                    if "end of life" in n or "cycling ended" in n)
        dis = result.summary[(result.summary.direction == "discharge")
                             & (result.summary.status == "ok")]
        if dis.cycle.nunique() > 1:  # cycling: the simulated retention, measured or not
            for cycle in sorted({int(c) for c in dis.cycle if c % 50 == 0} | {dis.cycle.max()}):
                ret = float(dis[dis.cycle == cycle].retention.iloc[-1])
                rows.append({"protocol": protocol.path.name, "cell": cell_path.name,
                             "quantity": f"simulated retention at cycle {cycle}",
                             "cycle": cycle, "measured": float("nan"), "predicted": ret,
                             "relative_error": float("nan"), "source": ""})
    return rows
