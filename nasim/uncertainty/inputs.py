"""The uncertain inputs of a cell: every numeric value with a range or a fit's interval.

Walks the raw YAML of a cell file and of the files it references (materials, electrolyte) and
lists each quantity whose source gives a spread:

- ``assumed`` (and ``literature``) values with ``source.range`` or ``source.relative``: sampled
  uniformly over the range (log-uniformly when the range spans a decade or more and is
  positive);
- ``fitted`` values with ``source.uncertainty`` (written by ``nasim fit`` from its report):
  sampled from the fit's multivariate normal in the scale it fitted in (log10 or linear), with
  the fit's correlations, clipped to its bounds. A fitted multiplier folded into a function's
  table (``electrolyte.diffusivity`` from ``electrolyte.diffusivity.scale``: its record gives
  multipliers of the file's function) is sampled as the function's ``.scale`` (nominal 1).

``exact`` values (definitions, settings) never vary. An input is named by its override path
(:mod:`nasim.params.overrides`: ``cathode.loading``, ``cathode.material.diffusivity``,
``electrolyte.concentration``), which :func:`nasim.params.loading.load_cell` accepts.

Mass fractions of an electrode must sum to 1: only ``active_mass_fraction`` is sampled, and the
binder and carbon fractions share the rest in their file ratio (:func:`changes`).
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field
from pathlib import Path

from nasim.params.loading import read_yaml, resolve_reference
from nasim.params.names import VARY
from nasim.params.overrides import REFERENCES

#: sections that only the mass budget, thermal runs or reports read (never a replay's
#: capacity, voltage or energy per active mass): not probed, not sampled
MASS_BUDGET = ("format.", "current_collectors.", "electrolyte_fill.", "separator.density",
               "binder_density", "carbon_density", "electrolyte.density")
REPORT_ONLY = (*MASS_BUDGET, "thermal.", ".phase_map.", ".mechanics.", ".lattice.",
               "specific_heat_capacity")
DEPENDENT = ("binder_mass_fraction", "carbon_mass_fraction")
#: why a fitted value without ``source.uncertainty`` is listed but not sampled
NO_INTERVAL = ("fitted without a fit's interval (calibrated to data by hand, no fit report to "
               "take one from): held at its value")


@dataclass(frozen=True)
class UncertainInput:
    """One sampled value: its override path, file and field, unit, nominal value and spread."""

    path: str
    file: str
    kind: str  # "assumed" (ranges: assumed and literature) or "fitted"
    unit: str
    nominal: float
    low: float  # range (assumed) or bounds (fitted), in ``unit``
    high: float
    log: bool = False  # sampled in log10 (a range over a decade or more, or a fit in log)
    interval_95: tuple[float, float] | None = None  # fitted
    fit: str = ""  # fitted: the fit's name
    fit_parameter: str = ""  # fitted: the parameter's path in the fit file
    correlation: dict = field(default_factory=dict, compare=False, hash=False)
    reason: str = ""

    @property
    def short_path(self) -> str:
        """``cathode.material.diffusivity`` -> ``cathode.diffusivity`` (the input paths of
        :func:`nasim.physics.values.input_paths`)."""
        for ref in ("cathode.material.", "anode.material.", "counter_electrode.material."):
            if self.path.startswith(ref):
                return ref.split(".")[0] + "." + self.path[len(ref):]
        return self.path


def _folded_scale(node: dict) -> bool:
    """A function whose source records a fitted multiplier (``parameter`` ``….scale``) folded
    into it: sampled as its ``.scale`` (see the module doc)."""
    src = node.get("source")
    fit = src.get("uncertainty") if isinstance(src, dict) and src.get("kind") == "fitted" \
        else None
    return isinstance(fit, dict) and str(fit.get("parameter", "")).endswith(".scale")


def _quantities(node, path: list[str]):
    """(path, node) of every mapping with a numeric ``value`` and a source, and
    (``<path>.scale``, node) of every function with a folded fitted multiplier."""
    if isinstance(node, dict):
        src = node.get("source")
        if isinstance(src, dict) and isinstance(node.get("value"), int | float) and not \
                isinstance(node.get("value"), bool):
            yield ".".join(path), node
        elif isinstance(src, dict) and _folded_scale(node):
            yield ".".join([*path, "scale"]), node
        for key, child in node.items():
            if key != "source":
                yield from _quantities(child, [*path, str(key)])
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _quantities(child, [*path, str(i)])


def _input(path: str, file: str, node: dict) -> UncertainInput | None:
    src = node["source"]
    scale = path.endswith(".scale") and "value" not in node
    value = float(node.get("scale", 1.0) if scale else node["value"])
    unit = "1" if scale else str(node.get("unit", "1"))
    fit = src.get("uncertainty") if src.get("kind") == "fitted" else None
    if fit is not None:
        lo, hi = (float(v) for v in fit["bounds"])
        return UncertainInput(path, file, "fitted", unit, value, lo, hi, fit["scale"] == "log",
                              tuple(float(v) for v in fit["interval_95"]), fit["fit"],
                              fit["parameter"], dict(fit.get("correlation", {})),
                              f"fit {fit['fit']}")
    if src.get("kind") == "fitted":  # calibrated by hand: no fit report, no interval
        return UncertainInput(path, file, "fitted", unit, value, value, value,
                              reason=NO_INTERVAL)
    if src.get("kind") not in ("assumed", "literature") or src.get("exact"):
        return None
    if src.get("range") is not None:
        lo, hi = (float(v) for v in src["range"])
    elif src.get("relative") is not None:
        lo, hi = sorted((value * (1 - src["relative"]), value * (1 + src["relative"])))
    else:
        return None
    log = lo > 0 and hi / lo >= 10.0
    why = src.get("range_source") or src.get("reason") or src.get("citation") or ""
    return UncertainInput(path, file, "assumed", unit, value, lo, hi, log, reason=str(why))


def discover(cell_path: str | Path) -> list[UncertainInput]:
    """Every uncertain input of the cell file and the files it references, in file order."""
    cell_path = Path(cell_path).resolve()
    raw = read_yaml(cell_path)
    files: list[tuple[str, Path, dict]] = [("", cell_path, raw)]
    for ref in REFERENCES:
        node = raw
        for key in ref.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str):
            target = resolve_reference(cell_path, node, ref)
            files.append((ref + ".", target, read_yaml(target)))
    out = []
    for prefix, path, data in files:
        for field_path, node in _quantities(data, []):
            if not prefix and field_path.split(".")[-1] == "material":
                continue
            item = _input(prefix + field_path, path.name, node)
            if item is not None:
                out.append(item)
    return out


def select(inputs: list[UncertainInput], vary: str = "all", exclude: list[str] = (),
           only: list[str] = (), mass_budget: bool = False
           ) -> tuple[list[UncertainInput], list[tuple[UncertainInput, str]]]:
    """The inputs to sample and the ones left out with why: ``vary`` (assumed, fitted or all),
    ``exclude`` patterns (fnmatch) on the path or on ``file:path`` (``only``: keep just the
    matching ones), report-only sections (the mass budget's are kept with ``mass_budget``: an
    energy run's levels read them), and the binder and carbon fractions (they follow the
    active fraction)."""
    skip = REPORT_ONLY[len(MASS_BUDGET):] if mass_budget else REPORT_ONLY
    if vary not in VARY:
        raise ValueError(f"vary {vary!r}: expected one of {', '.join(VARY)}")
    keep, left = [], []
    for item in inputs:
        target = f"{item.file}:{item.path}"
        if item.kind == "fitted" and item.interval_95 is None:
            left.append((item, NO_INTERVAL))
        elif vary != "all" and item.kind != vary:
            left.append((item, f"--vary {vary}"))
        elif any(fnmatch.fnmatch(item.path, p) or fnmatch.fnmatch(target, p) for p in exclude):
            left.append((item, "excluded"))
        elif only and not any(fnmatch.fnmatch(item.path, p) or fnmatch.fnmatch(target, p)
                              for p in only):
            left.append((item, "not in the inputs asked for"))
        elif any(s in f".{item.path}" for s in skip):
            left.append((item, "mass budget, thermal or report only"))
        elif item.path.endswith(DEPENDENT):
            left.append((item, "follows active_mass_fraction (the fractions sum to 1)"))
        else:
            keep.append(item)
    return keep, left


def read_exclude_file(path: str | Path) -> list[str]:
    """Patterns, one a line (``#`` comments): paths or ``file:path``, fnmatch wildcards."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [s.split("#", 1)[0].strip() for s in lines if s.split("#", 1)[0].strip()]


def changes(inputs: list[UncertainInput], values: list[float], raw_fractions: dict
            ) -> dict[str, dict]:
    """Override changes of one sample (:func:`nasim.params.loading.load_cell`): each value,
    and the binder and carbon fractions rescaled to the sampled active fraction
    (``raw_fractions``: electrode -> (active, binder, carbon) of the file)."""
    out: dict[str, dict] = {}
    for item, v in zip(inputs, values, strict=True):
        out[item.path] = {"value": float(v)}
        role, _, name = item.path.partition(".")
        if name == "active_mass_fraction" and role in raw_fractions:
            active, binder, carbon = raw_fractions[role]
            rest = (1.0 - v) / (binder + carbon)
            b = binder * rest
            out[f"{role}.binder_mass_fraction"] = {"value": b}
            out[f"{role}.carbon_mass_fraction"] = {"value": 1.0 - v - b}
    return out


def mass_fractions(cell_path: str | Path) -> dict[str, tuple[float, float, float]]:
    """electrode -> (active, binder, carbon) mass fractions of the cell file."""
    raw = read_yaml(Path(cell_path).resolve())
    out = {}
    for role in ("cathode", "anode"):
        node = raw.get(role)
        if isinstance(node, dict) and "active_mass_fraction" in node:
            out[role] = tuple(float(node[f"{k}_mass_fraction"]["value"])
                              for k in ("active", "binder", "carbon"))
    return out


def is_finite(x: float) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


__all__ = ["DEPENDENT", "NO_INTERVAL", "REPORT_ONLY", "UncertainInput", "changes",
           "discover", "mass_fractions", "read_exclude_file", "select"]
