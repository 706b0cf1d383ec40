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

Values written into a parameter file by an axis get ``source: {kind: assumed, exact: true,
reason: "study <name>: axis <path>"}``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nasim.params import plausible
from nasim.params.loading import (
    LoadedCell,
    ParameterFileError,
    load_cell,
    load_document,
    resolve_reference,
)
from nasim.params.units import to_si
from nasim.protocols import LoadedProtocol, load_protocol
from nasim.sweep.schema import CURRENT, TEMPERATURE, Axis, Study

if TYPE_CHECKING:
    from nasim.simulate.mesh import Mesh

WHAT = "study file"
SIGNIFICANT_DIGITS = 12  # axis values are rounded to this before hashing and storing


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

    @property
    def mesh_points(self) -> int | Mesh | None:
        """The mesh of the points' runs: the study's ``mesh:`` (a
        :class:`nasim.simulate.mesh.Mesh`), else its uniform ``mesh_points``, else None (the
        cell file's mesh)."""
        if self.study.mesh is None:
            return self.study.mesh_points
        from nasim.simulate.mesh import Mesh

        return Mesh.of_spec(self.study.mesh, self.model)

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
                 "mesh": s.mesh.model_dump(mode="json", exclude={"source"}) if s.mesh else None,
                 "thermal": s.thermal, "current": str(s.current) if s.current else None,
                 "temperature": str(s.temperature) if s.temperature else None}
        files = list(self.base_cell.files().values())
        if self.protocol_path is not None:
            files.append(self.protocol_path)
        text = json.dumps(fixed, sort_keys=True) + _file_digest(files)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @cached_property
    def identity(self) -> str:
        """Hash of the whole study: :attr:`fingerprint`, its axes and sampling (two runs with
        the same identity compute the same points; ``--resume`` checks it)."""
        s = self.study
        text = self.fingerprint + json.dumps([a.model_dump(mode="json") for a in s.axes],
                                             sort_keys=True) + s.sampling.model_dump_json()
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def size(self) -> int:
        """The number of points before duplicates are dropped, without enumerating them."""
        if self.study.sampling.method != "grid":
            return self.study.sampling.samples
        return math.prod(len(a.values) if a.values is not None else a.range.num
                         for a in self.study.axes)

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
                "source": {"kind": "assumed", "exact": True,
                           "reason": f"study {self.name}: axis {axis.parameter}"}}

    def changes(self, point: Point) -> dict[str, dict]:
        """The cell-file changes of ``point`` (:func:`nasim.params.loading.load_cell`)."""
        return {a.parameter: self.change(a, point.inputs[a.parameter])
                for a in self.study.axes if a.is_parameter}

    def current_A(self, cell: LoadedCell, inputs: dict[str, float]) -> float:
        """The discharge current of a point [A] (axis value or the study's fixed current, else
        1C)."""
        axis = next((a for a in self.study.axes if a.parameter == CURRENT), None)
        if axis is not None:
            value, unit = inputs[CURRENT], axis.unit
        elif self.study.current is not None:
            value, unit = self.study.current.value, self.study.current.unit
        else:
            value, unit = 1.0, "C"
        return cell.current_A(value, unit)

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
    field's dimension, at its smallest and largest value; else the study is bad input.
    Implausible ends of a temperature or C-rate axis are warned about
    (:mod:`nasim.params.plausible`; a parameter axis's by the cell's check)."""
    for i, axis in enumerate(loaded.study.axes):
        field = f"axes[{i}] ({axis.parameter})"
        for value in axis.extremes() if not axis.is_parameter else ():
            shown = f"{value:g} {axis.unit}"
            if axis.parameter == TEMPERATURE:
                plausible.check(loaded.path, field, to_si(value, axis.unit, "temperature"),
                                shown, "ambient_temperature")
            elif axis.unit == "C" and value > plausible.MAX_C_RATE:
                plausible.warn(loaded.path, field, shown,
                               f"expected at most {plausible.MAX_C_RATE:g} C")
        if not axis.is_parameter:
            continue
        problems: list[str] = []
        for value in axis.extremes():  # both ends must load (values between them then do)
            try:
                load_cell(loaded.cell_path, {axis.parameter: loaded.change(axis, value)})
            except ParameterFileError as exc:
                problems = [f"value {value:g} {axis.unit}: {p}" for p in exc.problems]
                break
        if problems:
            raise ParameterFileError(loaded.path, [f"axis {axis.parameter!r}: {p}"
                                                   for p in problems], WHAT)


def load_study(path: str | Path) -> LoadedStudy:
    """Read and validate a study file (what-if axes over cell parameters, current, temperature).

    Parameters
    ----------
    path
        The study file (YAML), e.g. ``studies/heo_hc_loading_crate.yaml``.

    Returns
    -------
    LoadedStudy
        The study with its cell (and protocol) loaded and its axes checked against them.

    Raises
    ------
    ParameterFileError
        The study, its cell or its protocol is missing or invalid (file, field and value named).

    Examples
    --------
    >>> nasim.load_study("studies/heo_hc_loading_crate.yaml").study.axes[0].parameter
    'cathode.loading'
    """
    path, study = load_document(path, "study", Study, WHAT)
    protocol_path, protocol = None, None
    if study.protocol is not None:
        protocol_path = resolve_reference(path, study.protocol, "protocol", WHAT)
        protocol = load_protocol(protocol_path)  # a bad protocol is bad input of the study
    cell_path = (resolve_reference(path, study.cell, "cell", WHAT) if study.cell is not None
                 else protocol.cell.path)
    loaded = LoadedStudy(path, study, cell_path, protocol_path, load_cell(cell_path), protocol)
    _check_axes(loaded)
    return loaded


__all__ = ["LoadedStudy", "Point", "load_study"]
