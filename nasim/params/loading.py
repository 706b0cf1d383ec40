"""Reading parameter files: safe YAML, validation against the schema, one clear error per file.

Nothing in a parameter file is executed: YAML is read with PyYAML's safe loader and tables are
plain CSV.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from nasim.params import overrides
from nasim.params.design import CellDesign, DesignError, cell_design
from nasim.params.schema import (
    FILE_KINDS,
    ActiveMaterial,
    Cell,
    Electrolyte,
    MetalElectrode,
)

# libyaml's safe loader when PyYAML was built with it (same safe subset, ~8x faster)
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SOURCE_TAGS = ("measured", "derived", "literature", "fitted", "assumed")

_HINTS = {
    "missing": "this field is required",
    "extra_forbidden": "unknown field (check its spelling)",
    "union_tag_invalid": "source.kind must be one of measured, derived, literature, fitted, "
    "assumed",
    "union_tag_not_found": "a source needs 'kind': measured, derived, literature, fitted or "
    "assumed",
}


class ParameterFileError(ValueError):
    """A parameter file that cannot be used: names the file, the field path, the value and what
    was expected."""

    def __init__(self, path: Path | str, problems: list[str], what: str = "parameter file"):
        self.path = Path(path)
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid {what} {self.path}:\n{lines}")


def _format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _format_input(value) -> str:
    if isinstance(value, dict) and "value" in value:
        return f"value={value.get('value')!r} unit={value.get('unit')!r}"
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."


def format_validation_error(err: ValidationError) -> list[str]:
    problems = []
    for e in err.errors(include_url=False):
        loc = _format_loc(tuple(p for p in e["loc"] if p not in _SOURCE_TAGS))
        msg = e["msg"].removeprefix("Value error, ")
        hint = _HINTS.get(e["type"])
        if e["type"] == "missing" and e["loc"] and e["loc"][-1] == "source":
            hint = "every value needs a source: {kind: measured|derived|literature|fitted|assumed}"
        text = f"field '{loc}': {msg}"
        if hint and hint.lower() not in msg.lower():
            text += f" ({hint})"
        if e["type"] != "missing":
            text += f"; got {_format_input(e.get('input'))}"
        problems.append(text)
    return problems


def read_yaml(path: Path) -> dict:
    if not path.is_file():
        raise ParameterFileError(path, [f"file not found: {path}"])
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise ParameterFileError(path, [f"not valid YAML: {exc}"]) from None
    if not isinstance(data, dict):
        raise ParameterFileError(path, ["expected a mapping at the top level"])
    return data


def load_document(path: str | Path, kind: str, model: type[BaseModel], what: str
                  ) -> tuple[Path, BaseModel]:
    """Read ``path`` (a YAML file of ``kind``: protocol, fit, study …) and validate it against
    ``model``; errors name the file (as a ``what``), the field, the value and the expectation.
    Returns the resolved path and the validated document."""
    path = Path(path).resolve()
    data = read_yaml(path)
    if data.get("kind") != kind:
        raise ParameterFileError(path, [f"field 'kind': expected {kind!r}, got "
                                        f"{data.get('kind')!r}"], what)
    try:
        return path, model.model_validate(data)
    except ValidationError as err:
        raise ParameterFileError(path, format_validation_error(err), what) from None


def load_file(path: str | Path, expected: type[BaseModel] | None = None,
              edits: list | None = None) -> BaseModel:
    """Validate one file against the schema of its ``kind`` (or of ``expected``), after
    ``edits`` (see :mod:`nasim.params.overrides`) to its raw values."""
    path = Path(path).resolve()
    data = read_yaml(path)
    if edits:
        try:
            data = overrides.apply(data, edits)
        except ValueError as exc:
            raise ParameterFileError(path, [str(exc)]) from None
    kind = data.get("kind")
    model = FILE_KINDS.get(kind)
    if model is None:
        raise ParameterFileError(
            path, [f"field 'kind': {kind!r} is not one of {sorted(FILE_KINDS)}"]
        )
    if expected is not None and model is not expected:
        raise ParameterFileError(
            path, [f"field 'kind': expected {expected.__name__} file, got {kind!r}"]
        )
    try:
        return model.model_validate(data, context={"base_dir": path.parent})
    except ValidationError as err:
        raise ParameterFileError(path, format_validation_error(err)) from None


@dataclass(frozen=True)
class LoadedCell:
    """A cell file with every file it references, validated."""

    path: Path
    cell: Cell
    cathode: ActiveMaterial
    electrolyte: Electrolyte
    design: CellDesign
    anode: ActiveMaterial | None = None
    counter_electrode: MetalElectrode | None = None

    @property
    def configuration(self) -> str:
        return self.cell.configuration

    @property
    def name(self) -> str:
        return self.cell.name

    def files(self) -> dict[str, Path]:
        base = self.path.parent
        out = {"cell": self.path, "cathode": (base / self.cell.cathode.material).resolve(),
               "electrolyte": (base / self.cell.electrolyte).resolve()}
        if self.cell.anode is not None:
            out["anode"] = (base / self.cell.anode.material).resolve()
        if self.cell.counter_electrode is not None:
            out["counter_electrode"] = (base / self.cell.counter_electrode.material).resolve()
        return out


def _referenced(cell_path: Path, field: str, ref: str, expected, edits: list | None = None):
    target = (cell_path.parent / ref).resolve()
    if not target.is_file():
        raise ParameterFileError(
            cell_path, [f"field '{field}': referenced file {ref!r} not found (looked for {target})"]
        )
    kind = read_yaml(target).get("kind")
    if FILE_KINDS.get(kind) is not expected:
        wanted = next(k for k, v in FILE_KINDS.items() if v is expected)
        raise ParameterFileError(
            cell_path, [f"field '{field}': {ref!r} is a {kind!r} file, expected kind {wanted!r}"]
        )
    return load_file(target, expected, edits)


def _active_material(path: Path, cell: Cell, role: str, edits: dict) -> ActiveMaterial:
    """The material file of the cell's ``role`` electrode, checked to be a ``role`` material."""
    ref = getattr(cell, role).material
    material = _referenced(path, f"{role}.material", ref, ActiveMaterial, edits.get(role))
    if material.role != role:
        named = {"cathode": "a cathode", "anode": "an anode"}
        raise ParameterFileError(path, [f"field '{role}.material': {ref!r} is "
                                        f"{named[material.role]} material, expected "
                                        f"{named[role]}"])
    return material


def load_cell(path: str | Path, changes: Mapping[str, Any] | None = None) -> LoadedCell:
    """Load and validate a cell file and the material/electrolyte files it references.

    ``changes`` maps dotted parameter paths (``"cathode.loading"``,
    ``"electrolyte.concentration"`` ...; see :mod:`nasim.params.overrides`) to new raw values,
    e.g. ``{"value": 20, "unit": "mg/cm2", "source": {...}}``; the changed files are validated
    as usual."""
    path = Path(path).resolve()
    edits = overrides.split(changes or {})
    cell = load_file(path, Cell, edits.get(overrides.CELL))
    unused = [k for k in edits if k != overrides.CELL and getattr(cell, k, None) is None]
    if unused:
        raise ParameterFileError(path, [f"parameter paths '{k}.material.*': this cell has no "
                                        f"{k}" for k in unused])
    cathode = _active_material(path, cell, "cathode", edits)
    electrolyte = _referenced(path, "electrolyte", cell.electrolyte, Electrolyte,
                              edits.get("electrolyte"))
    anode = counter = None
    if cell.anode is not None:
        anode = _active_material(path, cell, "anode", edits)
    else:
        counter = _referenced(path, "counter_electrode.material",
                              cell.counter_electrode.material, MetalElectrode,
                              edits.get("counter_electrode"))
    try:
        design = cell_design(cell, cathode, anode)
    except DesignError as exc:
        raise ParameterFileError(path, [str(exc)]) from None
    return LoadedCell(path, cell, cathode, electrolyte, design, anode, counter)
