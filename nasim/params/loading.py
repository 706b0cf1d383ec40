"""Reading parameter files: safe YAML, validation against the schema, one clear error per file.

Nothing in a parameter file is executed: YAML is read with PyYAML's safe loader and tables are
plain CSV, both with bounded work (:mod:`nasim.params.files`: size, alias expansion, symlink
loops, references that stay in their project).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from nasim.params import files, overrides, plausible
from nasim.params.bundle import KIND_FOLDERS, resolve
from nasim.params.design import CellDesign, DesignError, cell_design, one_c_current_A
from nasim.params.schema import (
    FILE_KINDS,
    ActiveMaterial,
    Cell,
    Electrolyte,
    MetalElectrode,
)
from nasim.params.strict import models_in
from nasim.params.units import current_basis

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
    """A parameter file that cannot be used (a ``ValueError``).

    Its message names the file, the field path, the value and what was expected; ``path`` is
    the file and ``problems`` the list of what is wrong with it. The command line exits 2 on
    it.
    """

    def __init__(self, path: Path | str, problems: list[str], what: str = "parameter file"):
        self.path = Path(path)
        self.problems = problems
        if len(problems) == 1:  # one line: file, field, value and expectation
            super().__init__(f"invalid {what} {self.path}: {problems[0]}")
        else:
            lines = "\n".join(f"  - {p}" for p in problems)
            super().__init__(f"invalid {what} {self.path}:\n{lines}")


def _format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _without_source_tags(loc: tuple) -> tuple:
    """``loc`` without the tag pydantic adds after a ``source`` (``source.literature.doi`` is
    ``source.doi``); a field named like a tag (a protocol's ``measured``) stays."""
    return tuple(p for i, p in enumerate(loc)
                 if not (p in _SOURCE_TAGS and i and loc[i - 1] == "source"))


def _format_input(value) -> str:
    """The offending input, shortly: never walks more than a few levels and items of it."""
    if isinstance(value, dict) and "value" in value:
        return (f"value={files.short_repr(value.get('value'))} "
                f"unit={files.short_repr(value.get('unit'))}")
    return files.short_repr(value)


def format_validation_error(err: ValidationError) -> list[str]:
    problems = []
    for e in err.errors(include_url=False):
        loc = _format_loc(_without_source_tags(e["loc"]))
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


def resolve_reference(referencing: Path, ref: str | Path, field: str,
                      what: str = "parameter file", kind: str = "yaml") -> Path:
    """The file ``ref`` names, relative to the directory of the ``referencing`` file, resolved
    (``kind``: a ``yaml`` document or a CSV ``table``).

    Raises a :class:`ParameterFileError` on ``referencing`` (a ``what``) naming ``field``, the
    reference and where it was looked for when there is no such file, when it is not a YAML
    file, loops or leaves the project (:func:`nasim.params.files.reference`)."""
    try:
        target = files.reference(referencing, ref, kind)
    except files.UnsafeFile as exc:
        raise ParameterFileError(referencing, [f"field '{field}': {exc}"], what) from None
    if not target.is_file():
        raise ParameterFileError(referencing, [f"field '{field}': file {str(ref)!r} not found "
                                               f"(looked for {target})"], what)
    return target


def resolved(path: str | Path, what: str = "parameter file") -> Path:
    """``path`` resolved; a symlink loop is a :class:`ParameterFileError` on it."""
    try:
        return files.resolved(path)
    except files.UnsafeFile as exc:
        raise ParameterFileError(path, [str(exc)], what) from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """One line for a YAML syntax error: the problem and where (line, column)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"{problem}{where}"


#: parsed YAML files of this process: path -> (stamp of the file, its mapping); a file read
#: again while unchanged (the same modification time and size) is not parsed again (a sweep or
#: an uncertainty run reads the same files with other values for every point or sample)
_PARSED: dict[Path, tuple[tuple[int, int], dict]] = {}


def _copy(node):
    """A copy of parsed YAML: new mappings and lists, the same (immutable) scalars."""
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


def read_yaml(path: Path, what: str = "parameter file") -> dict:
    """The mapping in a YAML file, read safely (:func:`nasim.params.files.load_yaml`); a copy
    of the parsed mapping if the file was read before and is unchanged (callers may edit it)."""
    path = resolved(path, what)
    if not path.is_file():
        raise ParameterFileError(path, [f"file not found: {path}"], what)
    stamp = _stamp(path)
    hit = _PARSED.get(path)
    if hit is not None and hit[0] == stamp:
        return _copy(hit[1])
    try:
        data = files.load_yaml(path)
    except files.UnsafeFile as exc:
        raise ParameterFileError(path, [str(exc)], what) from None
    except yaml.YAMLError as exc:
        raise ParameterFileError(path, [f"not valid YAML: {_yaml_problem(exc)}"], what) from None
    if not isinstance(data, dict):
        raise ParameterFileError(path, ["expected a mapping at the top level"], what)
    if len(_PARSED) >= _MAX_VALIDATED:
        _PARSED.pop(next(iter(_PARSED)))
    _PARSED[path] = (stamp, _copy(data))
    return data


def load_document(path: str | Path, kind: str, model: type[BaseModel], what: str
                  ) -> tuple[Path, BaseModel]:
    """Read ``path`` (a YAML file of ``kind``: protocol, fit, study …) and validate it against
    ``model``; errors name the file (as a ``what``), the field, the value and the expectation.
    Returns the resolved path and the validated document. A bare name is a bundled file of
    ``kind`` (see :mod:`nasim.params.bundle`)."""
    path = resolved(resolve(path, kind) if kind in KIND_FOLDERS else path, what)
    data = read_yaml(path, what)
    if data.get("kind") != kind:
        raise ParameterFileError(path, [f"field 'kind': expected {kind!r}, got "
                                        f"{files.short_repr(data.get('kind'))}"], what)
    try:
        return path, model.model_validate(data)
    except ValidationError as err:
        raise ParameterFileError(path, format_validation_error(err), what) from None


#: files validated without edits in this process: (path, schema) -> (stamp of the file, the
#: validated model, stamps of the tables it read); reused while no stamp changes
_VALIDATED: dict[tuple[Path, type | None], tuple[tuple, BaseModel, tuple]] = {}
_MAX_VALIDATED = 64


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_mtime_ns, st.st_size


def _table_paths(node) -> set[Path]:
    """The files of every table read while validating ``node`` (private ``_path``)."""
    paths = ((m.__pydantic_private__ or {}).get("_path") for m in models_in(node))
    return {p for p in paths if isinstance(p, Path)}


def _unchanged(path: Path, expected: type | None) -> BaseModel | None:
    """The validated model of ``path`` from an earlier :func:`load_file` without edits, if the
    file and every table it read are unchanged (same modification time and size)."""
    hit = _VALIDATED.get((path, expected))
    try:
        if hit is None or hit[0] != _stamp(path) or any(_stamp(p) != s for p, s in hit[2]):
            return None
    except OSError:
        return None
    return hit[1]


def load_file(path: str | Path, expected: type[BaseModel] | None = None,
              edits: list | None = None) -> BaseModel:
    """Validate one file against the schema of its ``kind`` (or of ``expected``), after
    ``edits`` (see :mod:`nasim.params.overrides`) to its raw values.

    A file loaded without edits is validated once per process while it and its tables keep
    their modification time and size (a sweep loads the same material files for every point):
    later calls return the same validated object, which callers treat as read-only."""
    path = resolved(path)
    stamp = None
    if not edits:
        cached = _unchanged(path, expected)
        if cached is not None:
            return cached
        try:
            stamp = _stamp(path)
        except OSError:
            pass  # _validate names the missing or unreadable file
    model = _validate(path, expected, edits)
    if stamp is not None:
        tables = tuple((p, _stamp(p)) for p in sorted(_table_paths(model)))
        if len(_VALIDATED) >= _MAX_VALIDATED:
            _VALIDATED.pop(next(iter(_VALIDATED)))
        _VALIDATED[path, expected] = (stamp, model, tables)
    return model


def _validate(path: Path, expected: type[BaseModel] | None, edits: list | None) -> BaseModel:
    data = read_yaml(path)
    if edits:
        try:
            data = overrides.apply(data, edits)
        except ValueError as exc:
            raise ParameterFileError(path, [str(exc)]) from None
    kind = data.get("kind")
    model = FILE_KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise ParameterFileError(
            path, [f"field 'kind': {files.short_repr(kind)} is not one of {sorted(FILE_KINDS)}"]
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

    @property
    def one_c_current_A(self) -> float:
        """1C [A]: the file's specific current (e.g. the paper's 150 mA/g) times the cathode
        active mass; else the nominal capacity over one hour; else the window capacity over
        one hour."""
        return one_c_current_A(self.cell, self.design)

    def current_A(self, value: float | None = None, unit: str | None = None, *,
                  c_rate: float | None = None, mA_per_g: float | None = None,
                  mA_per_cm2: float | None = None, A: float | None = None) -> float:
        """A lab current on this cell in amperes: the one rule.

        Either ``value`` in ``unit`` (any of :data:`nasim.params.units.CURRENT_UNITS`: ``C``,
        ``mA/g``, ``A/g``, ``mA/cm2``, ``A``, ``mA``) or exactly one keyword: ``c_rate``
        (multiples of :attr:`one_c_current_A`), ``mA_per_g`` (per cathode active mass),
        ``mA_per_cm2`` (per electrode area) or ``A``."""
        forms = {"C": c_rate, "mA/g": mA_per_g, "mA/cm2": mA_per_cm2, "A": A}
        given = [(v, u) for u, v in forms.items() if v is not None]
        if value is not None or unit is not None:
            given.append((value, unit))
        if len(given) != 1 or given[0][1] is None or given[0][0] is None:
            raise ValueError("give one current: value and unit, or one of c_rate, mA_per_g, "
                             "mA_per_cm2 or A")
        value, unit = given[0]
        basis, factor = current_basis(unit)
        si = value * factor
        if basis == "c_rate":
            return si * self.one_c_current_A
        if basis == "specific":
            return si * self.design.cathode_active_mass_kg  # A/kg
        if basis == "areal":
            return si * self.design.area_m2  # A/m2
        return si

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
    target = resolve_reference(cell_path, ref, field)
    if not edits and _unchanged(target, expected) is not None:
        return load_file(target, expected)
    kind = read_yaml(target).get("kind")
    if not isinstance(kind, str) or FILE_KINDS.get(kind) is not expected:
        wanted = next(k for k, v in FILE_KINDS.items() if v is expected)
        raise ParameterFileError(
            cell_path, [f"field '{field}': {ref!r} is a {files.short_repr(kind)} file, "
                        f"expected kind {wanted!r}"]
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

    Parameters
    ----------
    path
        The cell file (YAML), e.g. ``parameter_sets/cells/heo_half.yaml``, or the name of a
        bundled cell (``"heo_half"``).
    changes
        Dotted parameter paths (``"cathode.loading"``, ``"electrolyte.concentration"`` ...;
        see :mod:`nasim.params.overrides`) mapped to new raw values, e.g.
        ``{"value": 20, "unit": "mg/cm2", "source": {...}}``; the changed files are validated
        as usual.

    Returns
    -------
    LoadedCell
        The validated cell with its materials and electrolyte in SI units, the derived
        design (masses, 1C current) and the path of every file it came from.

    Raises
    ------
    ParameterFileError
        A file is missing or a value is invalid; the message names the file, the field, the
        value and what was expected.

    Examples
    --------
    >>> cell = nasim.load_cell("parameter_sets/cells/heo_half.yaml")
    >>> cell.configuration
    'half'
    """
    path = resolved(resolve(path, "cell"))
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
    loaded = LoadedCell(path, cell, cathode, electrolyte, design, anode, counter)
    plausible.check_cell(loaded)  # warnings only
    return loaded
