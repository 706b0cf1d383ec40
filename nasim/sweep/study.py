"""Study files (``kind: study``): what to vary, over which values, and what to measure.

A study names a cell file and either a **measure** or a **protocol**:

- ``measure: discharge`` (default): one constant-current discharge across the cell's window
  from the charged equilibrium state (OCV = upper cut-off; the same charge definition as
  :func:`nasim.energy`: a CC charge followed by a CV hold until the current vanishes). Each
  point gives the capacity, median and mean voltage and, at the four levels of
  :mod:`nasim.analysis.energy`, the specific energy, energy density and specific power;
- ``protocol: <protocol file>``: the protocol is replayed on each point's cell (its own cell
  file is replaced by the study's); the point's metrics are those of the protocol's last
  discharge that solved (plus its retention and coulombic efficiency).

**Axes** vary one quantity each: ``current`` (units ``C``, ``mA/g``, ``A/g``, ``mA/cm2``,
``A``, ``mA``), ``temperature`` (``degC`` or ``K``) or any parameter path of the cell and the
files it references (:mod:`nasim.params.overrides`: ``cathode.loading`` in mg/cm2,
``np_ratio``, ``cathode.porosity``, ``cathode.particle_radius``,
``electrolyte.concentration`` ...), with the unit the value is written in. An axis lists
``values`` or a ``range`` (min, max, num, linear or log spacing).

**Sampling**: ``grid`` (every combination, the default), ``random`` or ``lhs`` (Latin hypercube)
with ``samples`` points and a ``seed``. Sampled axes with a ``range`` are drawn continuously
(uniform, or log-uniform with ``spacing: log``); axes with ``values`` pick among those levels
(LHS stratified over them), which keeps the number of distinct geometries, and so of model
builds, small.

Values written into a parameter file by an axis get ``source: {kind: assumed, reason: "study
<name>: axis <path>"}``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from nasim.params import overrides
from nasim.params.loading import LoadedCell, ParameterFileError, load_cell, load_document
from nasim.params.units import DIMENSIONS, to_si
from nasim.protocols import LoadedProtocol, load_protocol
from nasim.protocols.schema import CURRENT_UNITS, Current, Temperature

CURRENT, TEMPERATURE = "current", "temperature"
WHAT = "study file"
MODELS = ("SPM", "SPMe", "DFN")
SIGNIFICANT_DIGITS = 12  # axis values are rounded to this before hashing and storing


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Range(_Strict):
    """``num`` values from ``min`` to ``max`` (grid), or the interval sampled (random/LHS)."""

    min: float
    max: float
    num: int | None = Field(default=None, ge=1)
    spacing: Literal["linear", "log"] = "linear"

    @model_validator(mode="after")
    def _order(self) -> Range:
        if not (math.isfinite(self.min) and math.isfinite(self.max) and self.max >= self.min):
            raise ValueError(f"range: expected finite min <= max (got {self.min}, {self.max})")
        if self.spacing == "log" and self.min <= 0:
            raise ValueError("range: log spacing needs min > 0")
        return self

    def grid(self) -> list[float]:
        if self.num is None:
            raise ValueError("range: a grid needs 'num' (the number of values)")
        if self.spacing == "log":
            return list(np.geomspace(self.min, self.max, self.num))
        return list(np.linspace(self.min, self.max, self.num))

    def scale(self, u: np.ndarray) -> np.ndarray:
        """Map uniform samples ``u`` in [0, 1) onto the range."""
        if self.spacing == "log":
            return np.exp(np.log(self.min) + u * (np.log(self.max) - np.log(self.min)))
        return self.min + u * (self.max - self.min)


class Axis(_Strict):
    """One varied quantity: ``current``, ``temperature`` or a parameter path."""

    parameter: str
    unit: str
    values: list[float] | None = Field(default=None, min_length=1)
    range: Range | None = None
    name: str | None = None  # the results column; default from parameter and unit

    @model_validator(mode="after")
    def _check(self) -> Axis:
        if (self.values is None) == (self.range is None):
            raise ValueError(f"axis {self.parameter!r}: give exactly one of 'values' or "
                             "'range'")
        if self.parameter == CURRENT:
            if self.unit not in CURRENT_UNITS:
                raise ValueError(f"axis 'current': unit {self.unit!r} is not one of "
                                 f"{', '.join(CURRENT_UNITS)}")
            if self.values is not None and min(self.values) <= 0:
                raise ValueError("axis 'current': currents must be > 0")
        elif self.parameter == TEMPERATURE:
            if not DIMENSIONS["temperature"].accepts(self.unit):
                raise ValueError(f"axis 'temperature': unit {self.unit!r} is not one of "
                                 f"{', '.join(DIMENSIONS['temperature'].factors)}")
        elif not all(self.parameter.split(".")):
            raise ValueError(f"axis {self.parameter!r}: not a dotted parameter path")
        return self

    @property
    def column(self) -> str:
        """Column name in results.csv, e.g. ``current_mA_per_g``, ``c_rate``,
        ``temperature_degC``, ``cathode.loading_mg_per_cm2``."""
        if self.name:
            return self.name
        if self.parameter == CURRENT and self.unit == "C":
            return "c_rate"
        unit = self.unit.replace("/", "_per_").replace(" ", "")
        return f"{self.parameter}_{unit}" if unit and unit != "1" else self.parameter

    @property
    def is_parameter(self) -> bool:
        return self.parameter not in (CURRENT, TEMPERATURE)

    @property
    def is_value_input(self) -> bool:
        """A field of the cell file itself (loading, porosity, thickness, radius, N/P,
        separator ...): it changes only scalar PyBaMM values, which a built model takes as
        inputs (:class:`nasim.simulate.engine.CellRunner` ``value_inputs``). Fields of the
        material and electrolyte files also enter PyBaMM's functions, so they need a rebuild."""
        if not self.is_parameter or self.parameter in overrides.REFERENCES:
            return False
        return set(overrides.split({self.parameter: None})) == {overrides.CELL}

    def extremes(self) -> list[float]:
        """The smallest and largest value the axis can take."""
        if self.values is not None:
            return sorted({min(self.values), max(self.values)})
        return sorted({self.range.min, self.range.max})

    def grid(self) -> list[float]:
        return list(self.values) if self.values is not None else self.range.grid()

    def sample(self, u: np.ndarray) -> np.ndarray:
        """Values for uniform samples ``u`` in [0, 1): levels of ``values`` or the range."""
        if self.values is not None:
            idx = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
            return np.asarray(self.values, dtype=float)[idx]
        return self.range.scale(u)


class Sampling(_Strict):
    method: Literal["grid", "random", "lhs"] = "grid"
    samples: int | None = Field(default=None, ge=1)
    seed: int = 0

    @model_validator(mode="after")
    def _samples(self) -> Sampling:
        if self.method != "grid" and self.samples is None:
            raise ValueError(f"sampling {self.method!r} needs 'samples'")
        return self


class Options(_Strict):
    """How the study is run (not what it computes: not part of the points' hashes).

    ``compiled``: IDAKLU's ``compile`` option for the discharge solves (see
    :class:`nasim.simulate.engine.CellRunner`): gcc compiles each built model once (about a
    minute for an SPMe, cached on disk; every model group of the study compiles its own),
    then a solve takes ~0.4 of the time. For repeated large studies; discharge studies only
    (a protocol study builds a model per point)."""

    compiled: bool = False


class HeatmapFigure(_Strict):
    """A metric over two axes (other axes at their first value)."""

    type: Literal["heatmap"]
    x: str
    y: str
    metric: str
    log_x: bool = False
    log_y: bool = False


class RagoneFigure(_Strict):
    """Specific energy vs specific power at one level, one line per value of ``family``."""

    type: Literal["ragone"]
    family: str
    level: Literal["cathode_active", "active_pair", "stack", "cell"] = "cathode_active"


class Study(_Strict):
    """A study file (see the module doc)."""

    kind: Literal["study"]
    name: str
    description: str = ""
    cell: str | None = None
    protocol: str | None = None
    measure: Literal["discharge"] = "discharge"
    model: Literal["SPM", "SPMe", "DFN"] | None = None  # default: DFN (a protocol's own)
    mesh_points: int | None = Field(default=None, ge=3)
    thermal: Literal["isothermal", "lumped"] = "isothermal"
    current: Current | None = None  # when current is not an axis (default 1C)
    temperature: Temperature | None = None  # when not an axis (default: cell's ambient)
    axes: list[Axis] = Field(min_length=1)
    sampling: Sampling = Sampling()
    figures: list[HeatmapFigure | RagoneFigure] | None = None
    options: Options = Options()

    @model_validator(mode="after")
    def _consistent(self) -> Study:
        if self.cell is None and self.protocol is None:
            raise ValueError("give 'cell' (with the discharge measure) or 'protocol'")
        if self.protocol is not None and self.options.compiled:
            raise ValueError("options.compiled: discharge studies only (a protocol study "
                             "builds a model per point, each would be compiled)")
        names = [a.parameter for a in self.axes]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"axes vary {', '.join(dup)} more than once")
        columns = [a.column for a in self.axes]
        if len(set(columns)) != len(columns):
            raise ValueError(f"axis column names collide: {columns}")
        if self.protocol is not None and (CURRENT in names or self.current is not None):
            raise ValueError("a protocol study takes its currents from the protocol: drop the "
                             "'current' axis/value")
        if self.sampling.method == "grid":
            for a in self.axes:
                if a.range is not None and a.range.num is None:
                    raise ValueError(f"axis {a.parameter!r}: a grid needs range.num")
        return self


@dataclass(frozen=True)
class Point:
    """One point of a study: its inputs (axis parameter -> value in the axis unit)."""

    index: int
    id: str
    inputs: dict[str, float]

    def group_key(self, study: LoadedStudy) -> tuple[tuple[str, float], ...]:
        """The parameter values one built model cannot take as inputs: points with equal
        keys share a model (see :attr:`Axis.is_value_input`)."""
        return tuple((a.parameter, self.inputs[a.parameter]) for a in study.study.axes
                     if a.is_parameter and not a.is_value_input)

    def geometry_key(self, study: LoadedStudy) -> tuple[tuple[str, float], ...]:
        """Every parameter value of the point (one cell geometry)."""
        return tuple((a.parameter, self.inputs[a.parameter]) for a in study.study.axes
                     if a.is_parameter)


def _rounded(value: float) -> float:
    return float(f"{float(value):.{SIGNIFICANT_DIGITS}g}")


def _file_digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(str(p.name).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


@dataclass(frozen=True)
class LoadedStudy:
    """A validated study file with its cell (and protocol) resolved."""

    path: Path
    study: Study
    cell_path: Path
    protocol_path: Path | None
    base_cell: LoadedCell
    protocol: LoadedProtocol | None = None  # the validated protocol file (protocol studies)

    @property
    def name(self) -> str:
        return self.study.name

    @property
    def model(self) -> str:
        return self.study.model or ("DFN" if self.protocol is None else
                                    self.protocol.protocol.model)

    def axis(self, key: str) -> Axis:
        """An axis by its parameter or its column name."""
        for a in self.study.axes:
            if key in (a.parameter, a.column):
                return a
        raise KeyError(f"study {self.name!r} has no axis {key!r} (axes: "
                       f"{', '.join(a.parameter for a in self.study.axes)})")

    @cached_property
    def fingerprint(self) -> str:
        """Hash of everything besides the axes that decides a point's result: the study's
        measure/protocol/model/mesh/thermal/fixed current and temperature, and the contents
        of the cell file, the files it references and the protocol file."""
        s = self.study
        fixed = {"measure": s.measure, "model": self.model, "mesh_points": s.mesh_points,
                 "thermal": s.thermal, "current": str(s.current) if s.current else None,
                 "temperature": str(s.temperature) if s.temperature else None}
        files = list(self.base_cell.files().values())
        if self.protocol_path is not None:
            files.append(self.protocol_path)
        text = json.dumps(fixed, sort_keys=True) + _file_digest(files)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def point_id(self, inputs: dict[str, float]) -> str:
        text = json.dumps({"study": self.fingerprint, "inputs": inputs}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def points(self) -> list[Point]:
        """Every point of the study, in a reproducible order (grid: the last axis fastest)."""
        axes = self.study.axes
        sampling = self.study.sampling
        if sampling.method == "grid":
            rows = list(itertools.product(*(a.grid() for a in axes)))
        else:
            rng = np.random.default_rng(sampling.seed)
            n, d = sampling.samples, len(axes)
            if sampling.method == "random":
                u = rng.random((n, d))
            else:  # Latin hypercube: one sample in each of n strata per axis
                u = (np.argsort(rng.random((n, d)), axis=0) + rng.random((n, d))) / n
            cols = [a.sample(u[:, j]) for j, a in enumerate(axes)]
            rows = list(zip(*cols, strict=True))
        out, seen = [], set()
        for row in rows:
            inputs = {a.parameter: _rounded(v) for a, v in zip(axes, row, strict=True)}
            pid = self.point_id(inputs)
            if pid in seen:  # sampled levels may repeat: one point each
                continue
            seen.add(pid)
            out.append(Point(len(out), pid, inputs))
        return out

    def change(self, axis: Axis, value: float) -> dict:
        """The raw quantity an axis writes into a parameter file."""
        return {"value": value, "unit": axis.unit,
                "source": {"kind": "assumed",
                           "reason": f"study {self.name}: axis {axis.parameter}"}}

    def changes(self, point: Point) -> dict[str, dict]:
        """The cell-file changes of ``point`` (:func:`nasim.params.loading.load_cell`)."""
        return {a.parameter: self.change(a, point.inputs[a.parameter])
                for a in self.study.axes if a.is_parameter}

    def current_A(self, cell: LoadedCell, inputs: dict[str, float]) -> float:
        """The discharge current of a point [A] (axis value or the study's fixed current)."""
        from nasim.params.design import one_c_current_A

        axis = next((a for a in self.study.axes if a.parameter == CURRENT), None)
        if axis is not None:
            value, unit = inputs[CURRENT], axis.unit
        elif self.study.current is not None:
            value, unit = self.study.current.value, self.study.current.unit
        else:
            value, unit = 1.0, "C"
        basis, factor = CURRENT_UNITS[unit]
        si = value * factor
        if basis == "c_rate":
            return si * one_c_current_A(cell.cell, cell.design)
        if basis == "specific":
            return si * cell.design.cathode_active_mass_kg
        if basis == "areal":
            return si * cell.design.area_m2
        return si

    def temperature_K(self, cell: LoadedCell, inputs: dict[str, float]) -> float:
        """The ambient temperature of a point [K]."""
        axis = next((a for a in self.study.axes if a.parameter == TEMPERATURE), None)
        if axis is not None:
            return to_si(inputs[TEMPERATURE], axis.unit, "temperature")
        if self.study.temperature is not None:
            return self.study.temperature.si
        return cell.cell.ambient_temperature.si


def _check_axes(loaded: LoadedStudy) -> None:
    """Every parameter axis must name a field the cell files accept, in a unit of the
    field's dimension: a few of its values are tried; if none loads, the study is bad input."""
    for axis in loaded.study.axes:
        if not axis.is_parameter:
            continue
        problems: list[str] = []
        tried = (axis.values[:3] if axis.values is not None
                 else [axis.range.min, axis.range.max])
        for value in tried:
            try:
                load_cell(loaded.cell_path, {axis.parameter: loaded.change(axis, value)})
                problems = []
                break
            except ParameterFileError as exc:
                problems = exc.problems
        if problems:
            raise ParameterFileError(loaded.path, [f"axis {axis.parameter!r}: {p}"
                                                   for p in problems], WHAT)


def load_study(path: str | Path) -> LoadedStudy:
    """Read and validate a study file; errors name the file, the field and the value."""
    path, study = load_document(path, "study", Study, WHAT)
    protocol_path, protocol = None, None
    if study.protocol is not None:
        protocol_path = (path.parent / study.protocol).resolve()
        if not protocol_path.is_file():
            raise ParameterFileError(path, [f"field 'protocol': {study.protocol!r} not found "
                                            f"(looked for {protocol_path})"], WHAT)
        protocol = load_protocol(protocol_path)  # a bad protocol is bad input of the study
    if study.cell is not None:
        cell_path = (path.parent / study.cell).resolve()
    else:
        cell_path = protocol.cell.path
    if not cell_path.is_file():
        raise ParameterFileError(path, [f"field 'cell': {cell_path} not found"], WHAT)
    loaded = LoadedStudy(path, study, cell_path, protocol_path, load_cell(cell_path), protocol)
    _check_axes(loaded)
    return loaded


__all__ = ["Axis", "LoadedStudy", "Options", "Point", "Range", "Sampling", "Study",
           "load_study"]
