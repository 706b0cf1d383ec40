"""Write each bundled fit's uncertainty into the fitted values it produced (issue 14).

For every ``fits/<name>/out/fit_report.json``: each fitted parameter's 95 % interval, the scale
the fit worked in, its bounds and its correlations with the fit's other parameters go into the
``source.uncertainty`` of the value that fit wrote, in ``fits/<name>/out/fitted/*.yaml`` and in
``parameter_sets/`` (where a value came from that fit: its source names ``fits/<name>``). A
value is matched by its number: the file's value (or a multiplier's ``scale``) equals the
report's up to a power of ten (a unit prefix), to 1e-6 relative in the fitted sets and 5e-4 in
``parameter_sets/`` (whose copies are rounded to four digits). A fitted multiplier of a function
(``electrolyte.diffusivity.scale``) is folded into the function the fit wrote (its table or
value), so the function itself carries it: its interval and bounds divided by the fitted value
(multipliers of the file's function, nominal 1), matched by the function's place (the file's
kind and role, the field) when the function has no ``scale`` of its own. Nothing is re-fitted.

    python fits/record_uncertainty.py
"""

from __future__ import annotations

import glob
import json
import math
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _factor(file_value: float, report_value: float, rtol: float) -> float | None:
    """file / report when that is a power of ten (a unit prefix), else None."""
    if file_value == 0 or report_value == 0 or (file_value > 0) != (report_value > 0):
        return 1.0 if file_value == report_value else None
    ratio = file_value / report_value
    power = round(math.log10(ratio))
    return 10.0 ** power if abs(ratio / 10.0 ** power - 1.0) < rtol else None


def record(report: dict, path: str) -> dict:
    """The ``uncertainty`` of fit parameter ``path`` (in the report's unit)."""
    p = report["parameters"][path]
    names = report["correlation"]["names"]
    row = report["correlation"]["matrix"][names.index(path)]
    return {"fit": report["name"], "parameter": path,
            "interval_95": [float(v) for v in p["ci95"]], "scale": p["scale"],
            "bounds": [float(v) for v in p["bounds"]],
            "correlation": {n: round(float(r), 6) for n, r in zip(names, row, strict=True)
                            if n != path}}


def _scaled(unc: dict, factor: float) -> dict:
    return {**unc, "interval_95": [v * factor for v in unc["interval_95"]],
            "bounds": [v * factor for v in unc["bounds"]]}


def _number(node: dict, path: str):
    return node.get("scale") if path.endswith(".scale") else node.get("value")


def _prefix(data: dict) -> str | None:
    """The override path of a parameter file's top-level fields: ``electrolyte`` for an
    electrolyte file, the role of an active material (``cathode``, ``anode``),
    ``counter_electrode`` for a metal electrode; None for other files."""
    kind = data.get("kind")
    if kind == "active_material":
        return data.get("role")
    return {"electrolyte": "electrolyte", "metal_electrode": "counter_electrode"}.get(kind)


def folded(data, report: dict, fit_dir: str | None) -> list[tuple[dict, dict]]:
    """(function node, uncertainty) of the fitted multipliers (``<function>.scale``) of
    ``report`` that the fit folded into a function of the file ``data`` (see the module doc):
    the interval and bounds as multipliers of the file's function."""
    prefix = _prefix(data) if isinstance(data, dict) else None
    out = []
    for path, p in report["parameters"].items():
        role, _, field = path.removesuffix(".scale").partition(".")
        node = data.get(field) if path.endswith(".scale") and role == prefix else None
        src = node.get("source") if isinstance(node, dict) else None
        if isinstance(src, dict) and src.get("kind") == "fitted" and "scale" not in node \
                and (fit_dir is None or fit_dir in str(src.get("data", ""))):
            out.append((node, _scaled(record(report, path), 1.0 / float(p["value"]))))
    return out


def matches(data, report: dict, fit_dir: str | None, rtol: float = 1e-6):
    """(node, uncertainty) of the fitted values in ``data`` that come from ``report``."""
    out = folded(data, report, fit_dir)

    def walk(node):
        if isinstance(node, dict):
            src = node.get("source")
            if isinstance(src, dict) and src.get("kind") == "fitted" and (
                    fit_dir is None or fit_dir in str(src.get("data", ""))):
                for path, p in report["parameters"].items():
                    number = _number(node, path)
                    if isinstance(number, int | float) and not isinstance(number, bool):
                        factor = _factor(float(number), float(p["value"]), rtol)
                        if factor is not None:
                            out.append((node, _scaled(record(report, path), factor)))
            for k, v in node.items():
                if k != "source":
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(data)
    return out


def _flow(value) -> str:
    return json.dumps(value)  # JSON is YAML flow syntax


def write_flow(path: Path, report: dict, fit_dir: str) -> int:
    """Insert ``uncertainty: {...}`` into the flow-style sources of ``path`` (hand-written
    parameter files keep their layout and comments)."""
    text = path.read_text()
    root = yaml.compose(text)
    found = []

    def walk(node):
        if isinstance(node, yaml.MappingNode):
            d = {k.value: v for k, v in node.value}
            src = d.get("source")
            if isinstance(src, yaml.MappingNode) and src.flow_style:
                plain = yaml.SafeLoader("").construct_document(node)
                if isinstance(plain, dict):
                    for matched, unc in matches({"x": plain}, report, fit_dir, 5e-4):
                        # only this node's own value: a nested fitted value (a diffusivity's
                        # log10 slope) gets its record at its own source
                        if matched is plain and \
                                "uncertainty" not in {k.value for k, _ in src.value}:
                            found.append((src.end_mark.index, unc))
            for _, v in node.value:
                walk(v)
        elif isinstance(node, yaml.SequenceNode):
            for v in node.value:
                walk(v)

    walk(root)
    plain_root = yaml.safe_load(text)
    fields = {k.value: v for k, v in root.value} if isinstance(root, yaml.MappingNode) else {}
    for node, unc in folded(plain_root, report, fit_dir) if isinstance(plain_root, dict) else []:
        field = next(k for k, v in plain_root.items() if v is node)
        src = {k.value: v for k, v in fields[field].value}["source"]
        if src.flow_style and "uncertainty" not in {k.value for k, _ in src.value}:
            found.append((src.end_mark.index, unc))
    for end, unc in sorted(found, key=lambda e: e[0], reverse=True):
        text = text[:end - 1] + f", uncertainty: {_flow(unc)}" + text[end - 1:]
    if found:
        path.write_text(text)
    return len(found)


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:
        return True


def write_block(path: Path, report: dict) -> int:
    """Machine-written fitted sets: load, add, dump (their header comment kept)."""
    text = path.read_text()
    header = "".join(line for line in text.splitlines(True) if line.startswith("#"))
    data = yaml.safe_load(text)
    found = matches(data, report, None)
    for node, unc in found:
        node["source"]["uncertainty"] = unc
    if found:
        path.write_text(header + yaml.dump(data, Dumper=_Dumper, sort_keys=False,
                                           allow_unicode=True, width=100))
    return len(found)


def main() -> None:
    for report_path in sorted(glob.glob(str(ROOT / "fits/*/out/fit_report.json"))):
        report = json.loads(Path(report_path).read_text())
        out = Path(report_path).parent
        n = sum(write_block(Path(f), report) for f in sorted(glob.glob(str(out / "fitted/*.yaml"))))
        fit_dir = f"fits/{out.parent.name}"
        m = sum(write_flow(Path(f), report, fit_dir)
                for f in sorted(glob.glob(str(ROOT / "parameter_sets/**/*.yaml"), recursive=True)))
        print(f"{fit_dir}: {n} values in its fitted set, {m} in parameter_sets/")


if __name__ == "__main__":
    main()
