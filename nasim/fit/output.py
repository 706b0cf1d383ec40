"""What a fit writes: the fitted parameter set, ``fit_report.json`` and ``fit_report.md``
(the predictions are run by :mod:`nasim.fit.predict`, the figures drawn by
:mod:`nasim.plots.fit`).

The fitted parameter set (``DIR/fitted/``) is complete: the cell file and every file holding a
fitted value are rewritten there (other values keep their sources; a fitted value's source
becomes ``fitted`` with the fit file, its data, the method, the cost, the date and the 95 %
interval); files without fitted values are referenced where they are. A fitted ``.scale`` of a
table is written as a scaled copy of the table next to the file.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from nasim.fit.loading import LoadedFit, ResolvedParameter
from nasim.fit.optimize import Optimum, information_criteria
from nasim.fit.predict import predictions
from nasim.fit.validate import aging_markdown, aging_parameters
from nasim.fit.validate import markdown as loo_markdown
from nasim.params.loading import load_cell, read_yaml
from nasim.params.units import to_si
from nasim.physics.values import CELL_INPUT_PATHS, WINDOW_PLACING_PATHS
from nasim.plots.fit import fit_figures
from nasim.rundir import save, write_text
from nasim.simulate.mesh import resolve as resolve_mesh


class _Dumper(yaml.SafeDumper):
    """Safe YAML without anchors (each value written out where it belongs)."""

    def ignore_aliases(self, data) -> bool:
        return True


_ROLE_FIELDS = {"cathode": "cathode.material", "anode": "anode.material",
                "counter_electrode": "counter_electrode.material", "electrolyte": "electrolyte"}


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def method_text(fit: LoadedFit, optimum: Optimum) -> str:
    jac = ("IDAKLU forward sensitivities" if fit.definition.options.jacobian == "sensitivities"
           else "finite differences")
    return (f"nasim fit: bounded least squares (scipy trust-region reflective, Jacobian from "
            f"{jac}) on PyBaMM's {fit.definition.model} built once with the fitted values as "
            f"input parameters; {len(optimum.starts)} start(s), best kept")


def data_text(fit: LoadedFit) -> str:
    parts = []
    for ds in fit.datasets:
        what = [f"{len(ds.targets)} scalar target(s)"] if ds.targets else []
        what += [c.file.name for c in ds.curves]
        parts.append(f"{ds.protocol.path.name} ({', '.join(what)})")
    return f"{fit.path.name}: " + "; ".join(parts)


# ----------------------------------------------------------------------------- parameter set

def _role(path: str) -> str:
    return "cell" if path in CELL_INPUT_PATHS else path.split(".")[0]


def _source(fit: LoadedFit, optimum: Optimum, p: ResolvedParameter, j: int) -> dict:
    lo, hi = optimum.ci_si[j]
    flags = optimum.notes[p.path]
    note = (f"95 % interval [{_fmt(p.to_unit(lo))}, {_fmt(p.to_unit(hi))}] {p.unit}"
            + ("" if not flags else "; NOT IDENTIFIABLE: " + "; ".join(flags)))
    source = {"kind": "fitted", "data": data_text(fit), "method": method_text(fit, optimum),
              "cost": float(optimum.cost), "date": _dt.date.today().isoformat(), "note": note}
    if p.range_source is not None:  # the bounds are a literature range: kept with the value
        source.update(range_si=p.bounds_si, range_source=p.range_source)
    names = [q.path for q in fit.parameters]
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return source  # no interval to record
    source["uncertainty_si"] = {  # nasim.params.sources.FitUncertainty, for --uncertainty
        "fit": fit.name, "parameter": p.path, "interval_95": [float(lo), float(hi)],
        "scale": p.scale, "bounds": [float(b) for b in p.bounds_si],
        "correlation": {n: round(float(optimum.correlation[j, k]), 6)
                        for k, n in enumerate(names) if k != j}}
    return source


def _set_quantity(node: dict, si: float, dimension: str, source: dict) -> None:
    unit = node.get("unit", "1")
    per_unit = to_si(1.0, unit, dimension) - to_si(0.0, unit, dimension)
    node["value"] = float(si / per_unit)
    source = dict(source)
    if "range_si" in source:
        source["range"] = [float(b / per_unit) for b in source.pop("range_si")]
        source["range_source"] = source.pop("range_source")
    if "uncertainty_si" in source:
        unc = source.pop("uncertainty_si")
        source["uncertainty"] = {**unc, **{k: [float(v / per_unit) for v in unc[k]]
                                           for k in ("interval_95", "bounds")}}
    node["source"] = source


def _apply(raw: dict, p: ResolvedParameter, si: float, source: dict, out_dir: Path,
           out_name: str) -> list[Path]:
    """Write the fitted value ``si`` of ``p`` into the raw YAML of its file."""
    if p.path == "contact_resistance":
        raw["contact_resistance"] = {"unit": "Ohm.cm2"}
        _set_quantity(raw["contact_resistance"], si, p.dimension, source)
        return []
    if p.path in WINDOW_PLACING_PATHS:  # a cell-file value, e.g. cathode.loading
        first, field = p.path.split(".")
        _set_quantity(raw[first][field], si, p.dimension, source)
        return []
    _, field, *rest = p.path.split(".")
    node = raw[field]
    if not rest:
        _set_quantity(node, si, p.dimension, source)
    elif rest == ["scale"]:  # a multiplier: its bounds are not the value's range
        source = {k: v for k, v in source.items() if k != "uncertainty_si"}  # (nor its interval)
        if "range_si" in source:
            (lo, hi), cited = source.pop("range_si"), source.pop("range_source")
            source["note"] += f"; multiplier bounded to [{_fmt(lo)}, {_fmt(hi)}]: {cited}"
        if node.get("value") is not None:
            node["value"] = float(node["value"] * si)
            node["source"] = source
        else:
            table = node["table"]
            original = (out_dir / table["file"]).resolve()  # relocated by _relocate_tables
            frame = pd.read_csv(original)
            frame.columns = [c.strip() for c in frame.columns]
            frame[table["y_column"]] = frame[table["y_column"]] * si
            name = f"{Path(out_name).stem}_{field}.csv"
            save(out_dir / name, lambda p: frame.to_csv(p, index=False))
            table["file"] = name
            source = {**source, "note": f"{original.name} x {si:.6g}; " + source["note"]}
            node["source"] = source
            return [out_dir / name]
    else:
        target = node
        for key in rest[:-1]:
            target = target[key]
        _set_quantity(target[rest[-1]], si, p.dimension, source)
    return []


def _relocate_tables(node, src_dir: Path, out_dir: Path) -> None:
    """Table paths are relative to their file: point them at the originals from ``out_dir``."""
    if isinstance(node, dict):
        table = node.get("table")
        if isinstance(table, dict) and "file" in table:
            target = (src_dir / table["file"]).resolve()
            if target.is_file():
                table["file"] = os.path.relpath(target, out_dir)
        for v in node.values():
            _relocate_tables(v, src_dir, out_dir)
    elif isinstance(node, list):
        for v in node:
            _relocate_tables(v, src_dir, out_dir)


def write_parameter_set(fit: LoadedFit, optimum: Optimum, out_dir: Path) -> list[Path]:
    """The fitted cell file and every file holding a fitted value, in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = fit.cell.files()
    roles = {_role(p.path) for p in fit.parameters} | {"cell"}
    raws, names = {}, {}
    for role in roles:
        src = files[role]
        raw = read_yaml(src)
        _relocate_tables(raw, src.parent, out_dir)
        raws[role] = raw
        names[role] = src.name if role == "cell" or src.name != files["cell"].name \
            else f"{role}_{src.name}"
    written: list[Path] = []
    for j, p in enumerate(fit.parameters):
        role = _role(p.path)
        written += _apply(raws[role], p, float(optimum.values_si[j]),
                          _source(fit, optimum, p, j), out_dir, names[role])
    cell_raw = raws["cell"]
    for role, dotted in _ROLE_FIELDS.items():
        if role not in files:
            continue
        keys = dotted.split(".")
        parent = cell_raw
        for k in keys[:-1]:
            parent = parent[k]
        parent[keys[-1]] = (names[role] if role in raws
                            else os.path.relpath(files[role], out_dir))
    header = (f"# Written by `nasim fit {fit.path.name}` on {_dt.date.today().isoformat()}: "
              f"values with source kind 'fitted' come from that fit; all others are as in the "
              f"original files.\n")
    for role, raw in raws.items():
        target = out_dir / names[role]
        write_text(target, header + yaml.dump(raw, Dumper=_Dumper, sort_keys=False,
                                              allow_unicode=True, width=100))
        written.append(target)
    load_cell(out_dir / names["cell"])  # the written set must validate
    return written


# ----------------------------------------------------------------------------- report

def _at_bound(p: ResolvedParameter, si: float) -> str | None:
    """'lower'/'upper' when the value sits within 1 % of its (scaled) range of a bound."""
    lo, hi = p.bounds_si
    z = (np.log10([lo, si, hi]) if p.scale == "log" else np.array([lo, si, hi]))
    frac = (z[1] - z[0]) / (z[2] - z[0])
    return "lower" if frac < 0.01 else "upper" if frac > 0.99 else None


def report_dict(fit: LoadedFit, optimum: Optimum, files: list[Path], out_dir: Path) -> dict:
    ev = optimum.evaluation
    rows = pd.DataFrame(ev.rows)
    parameters = {}
    for j, p in enumerate(fit.parameters):
        lo, hi = optimum.ci_si[j]
        parameters[p.path] = {
            "value": p.to_unit(optimum.values_si[j]), "unit": p.unit,
            "value_si": float(optimum.values_si[j]),
            "initial": p.to_unit(p.initial_si), "file_value": p.to_unit(p.file_value_si),
            "bounds": [p.to_unit(b) for b in p.bounds_si], "scale": p.scale,
            "ci95": [p.to_unit(lo), p.to_unit(hi)],
            "identifiable": optimum.identifiable[j], "flags": optimum.notes[p.path],
            "at_bound": _at_bound(p, optimum.values_si[j])}
    curves = rows[rows.kind == "curve"] if len(rows) else rows
    targets = rows[rows.kind == "target"] if len(rows) else rows
    rmse = (float(np.sqrt(np.nanmean((curves.simulated - curves.measured) ** 2)))
            if len(curves) else None)
    rmse_by_curve = {f"{fit.datasets[int(k)].name}: {s}":
                     float(np.sqrt(np.nanmean((g.simulated - g.measured) ** 2)))
                     for (k, s), g in curves.groupby(["dataset", "step"])} if len(curves) else {}
    names = [p.path for p in fit.parameters]
    return {
        "name": fit.name, "fit_file": os.path.relpath(fit.path, out_dir),
        "cell": os.path.relpath(fit.cell.path, out_dir),
        "model": fit.definition.model, "method": method_text(fit, optimum),
        "parameters": parameters,
        "rmse_V": rmse, "rmse_V_by_curve": rmse_by_curve,
        "relative_errors": {f"{fit.datasets[int(r.dataset)].name}: {r.label}":
                            float(r.relative_error) for r in targets.itertuples()},
        "targets": [{"dataset": fit.datasets[int(r.dataset)].name, "step": r.step,
                     "quantity": r.quantity, "measured": r.measured,
                     "simulated": r.simulated, "relative_error": r.relative_error}
                    for r in targets.itertuples()],
        "cost": float(optimum.cost), "n_residuals": int(len(ev.residuals)),
        "degrees_of_freedom": optimum.dof, **information_criteria(optimum.cost, len(names),
                                                                  len(ev.residuals)),
        "correlation": {"names": names, "matrix": optimum.correlation.tolist()},
        "identifiable": {p.path: optimum.identifiable[j] for j, p in enumerate(fit.parameters)},
        "n_evaluations": optimum.n_evaluations, "wall_time_s": optimum.wall_time_s,
        "mesh_points": resolve_mesh(fit.cell, fit.definition.options.mesh_points,
                                    fit.definition.model).describe(),
        "starts": [vars(s) for s in optimum.starts],
        "notes": list(fit.definition.notes),
        "fitted_files": [os.path.relpath(f, out_dir) for f in files],
    }


def write_markdown(report: dict, figures: list[Path], out_dir: Path) -> Path:
    lines = [f"# Fit `{report['name']}`", "",
             f"Cell `{report['cell']}`, model {report['model']}. {report['method']}.", "",
             f"{report['n_evaluations']} model evaluations, {report['wall_time_s']:.1f} s, "
             f"cost {report['cost']:.5g} over {report['n_residuals']} residuals "
             f"({report['degrees_of_freedom']} degrees of freedom); AIC {report['aic']:.4g}, "
             f"BIC {report['bic']:.4g} (2 cost + 2k, 2 cost + k ln n).", "",
             "## Parameters", "",
             "| parameter | fitted | 95 % interval | unit | initial | bounds | at bound "
             "| identifiable |", "|---|---|---|---|---|---|---|---|"]
    for name, p in report["parameters"].items():
        flag = "yes" if p["identifiable"] else "**no**: " + "; ".join(p["flags"])
        lines.append(f"| `{name}` | {_fmt(p['value'])} | [{_fmt(p['ci95'][0])}, "
                     f"{_fmt(p['ci95'][1])}] | {p['unit']} | {_fmt(p['initial'])} | "
                     f"[{_fmt(p['bounds'][0])}, {_fmt(p['bounds'][1])}] | "
                     f"{p['at_bound'] or ''} | {flag} |")
    names = report["correlation"]["names"]
    if len(names) > 1:
        lines += ["", "Correlation:", "", "| | " + " | ".join(f"`{n}`" for n in names) + " |",
                  "|---" * (len(names) + 1) + "|"]
        for n, row in zip(names, report["correlation"]["matrix"], strict=True):
            lines.append(f"| `{n}` | " + " | ".join(f"{v:+.3f}" for v in row) + " |")
    if report["targets"]:
        lines += ["", "## Scalar targets", "",
                  "| dataset | step | quantity | measured | fitted | error |",
                  "|---|---|---|---|---|---|"]
        for t in report["targets"]:
            lines.append(f"| {t['dataset']} | {t['step']} | {t['quantity']} | "
                         f"{t['measured']:.5g} | {t['simulated']:.5g} | "
                         f"{100 * t['relative_error']:+.2f} % |")
    if report["rmse_V"] is not None:
        lines += ["", "## Curves", "", f"Voltage RMSE over all curve points: "
                  f"{1e3 * report['rmse_V']:.1f} mV.", "", "| curve | RMSE (mV) |", "|---|---|"]
        for k, v in report["rmse_V_by_curve"].items():
            lines.append(f"| {k} | {1e3 * v:.1f} |")
    if report.get("aging_parameters"):
        lines += [""] + aging_markdown(report["aging_parameters"])
    if report.get("leave_one_out"):
        lines += [""] + loo_markdown(report["leave_one_out"])
    if report.get("predictions"):
        lines += ["", "## Predictions (not fitted)", "",
                  "Protocols replayed with the fitted values, compared with measurements that "
                  "took no part in the fit.", "",
                  "| protocol | cell | quantity | measured | predicted | error |",
                  "|---|---|---|---|---|---|"]
        for r in report["predictions"]:
            if r["quantity"] == "note":
                lines.append(f"| {r['protocol']} | {r['cell']} | {r['note']} | | | |")
                continue
            err, meas = r["relative_error"], r["measured"]
            lines.append(f"| {r['protocol']} | {r['cell']} | {r['quantity']} | "
                         + ("" if meas != meas else f"{meas:.5g}") + f" | {r['predicted']:.5g} | "
                         + ("" if err != err else f"{100 * err:+.2f} %") + " |")
    lines += ["", "## Figures", ""]
    for f in figures:
        lines += [f"![{f.stem}]({f.name})", ""]
    lines += ["## Starts", "", "| start | cost | evaluations | status |", "|---|---|---|---|"]
    for s in report["starts"]:
        lines.append(f"| {s['start']} | {s['cost']:.5g} | {s['n_evaluations']} | "
                     f"{s['status']} |")
    if report["notes"]:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in report["notes"]]
    lines += ["", "Fitted parameter set: " + ", ".join(f"`{f}`" for f in
                                                       report["fitted_files"]), ""]
    path = out_dir / "fit_report.md"
    write_text(path, "\n".join(lines))
    return path


def write_all(fit: LoadedFit, optimum: Optimum, out_dir: Path, fmt: str = "png",
              dpi: int | None = None, leave_one_out: list[dict] | None = None) -> dict:
    """Write the fitted parameter set (``out_dir/fitted``), ``fit_report.json``,
    ``fit_report.md`` and the figures (``fmt``: png, svg or pdf); returns the report (with
    the predictions)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = write_parameter_set(fit, optimum, out_dir / "fitted")
    report = report_dict(fit, optimum, files, out_dir)
    report["predictions"] = predictions(fit, optimum)
    values = {p.path: float(v) for p, v in zip(fit.parameters, optimum.values_si, strict=True)}
    report["aging_parameters"] = aging_parameters(fit, values)
    if leave_one_out is not None:
        report["leave_one_out"] = leave_one_out
    evaluation = optimum.evaluation
    figures = fit_figures(fit.datasets, pd.DataFrame(evaluation.rows), evaluation.steps,
                          fit.cell.design.cathode_active_mass_kg, out_dir, fmt, dpi)
    write_text(out_dir / "fit_report.json", json.dumps(report, indent=2, default=float))
    write_markdown(report, figures, out_dir)
    return report
