"""The study file schema (``kind: study``, pydantic): cell or protocol, axes, sampling,
options and figures. See :mod:`nasim.sweep.study` for what a study means and its points."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from nasim.params import overrides
from nasim.params.cell_sections import CellMesh
from nasim.params.limits import PHYSICAL_MAX
from nasim.params.names import ModelName, ThermalMode
from nasim.params.strict import FrozenStrict
from nasim.params.units import CURRENT_UNITS, DIMENSIONS, to_si
from nasim.protocols.schema import Current, Temperature

CURRENT, TEMPERATURE = "current", "temperature"


class Range(FrozenStrict):
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


class Axis(FrozenStrict):
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
        bad = [v for v in self.values or () if not math.isfinite(v)]
        if bad:
            raise ValueError(f"axis {self.parameter!r}: value {bad[0]} is not a finite number")
        if self.parameter == CURRENT:
            if self.unit not in CURRENT_UNITS:
                raise ValueError(f"axis 'current': unit {self.unit!r} is not one of "
                                 f"{', '.join(CURRENT_UNITS)}")
            if min(self.extremes()) <= 0:
                raise ValueError(f"axis 'current': currents must be > 0 (got "
                                 f"{min(self.extremes()):g} {self.unit})")
        elif self.parameter == TEMPERATURE:
            if not DIMENSIONS["temperature"].accepts(self.unit):
                raise ValueError(f"axis 'temperature': unit {self.unit!r} is not one of "
                                 f"{', '.join(DIMENSIONS['temperature'].factors)}")
            for v in self.extremes():
                kelvin = to_si(v, self.unit, "temperature")
                if not 0 < kelvin <= PHYSICAL_MAX["temperature"]:
                    raise ValueError(f"axis 'temperature': {v:g} {self.unit} is {kelvin:g} K; "
                                     f"expected (0, {PHYSICAL_MAX['temperature']:g}] K")
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
        inputs (:class:`nasim.simulate.engine.CellRunner` ``inputs``). Fields of the
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


class Sampling(FrozenStrict):
    method: Literal["grid", "random", "lhs"] = "grid"
    samples: int | None = Field(default=None, ge=1)
    seed: int = 0

    @model_validator(mode="after")
    def _samples(self) -> Sampling:
        if self.method != "grid" and self.samples is None:
            raise ValueError(f"sampling {self.method!r} needs 'samples'")
        return self


class Options(FrozenStrict):
    """How the study is run (not what it computes: not part of the points' hashes).

    ``compiled``: IDAKLU's ``compile`` option for the discharge solves (see
    :class:`nasim.simulate.engine.CellRunner`): gcc compiles each built model once (about a
    minute for an SPMe, cached on disk; every model group of the study compiles its own),
    then a solve takes ~0.4 of the time. For repeated large studies; discharge studies only
    (a protocol study builds a model per point).

    ``mesh_check``: before its points, the sweep checks the mesh at the study's most
    demanding corner against the 2x mesh and warns when it is not converged there
    (:mod:`nasim.sweep.mesh_guard`; a few seconds for an SPM/SPMe, more for a DFN)."""

    compiled: bool = False
    mesh_check: bool = True


class HeatmapFigure(FrozenStrict):
    """A metric over two axes (other axes at their first value)."""

    type: Literal["heatmap"]
    x: str
    y: str
    metric: str
    log_x: bool = False
    log_y: bool = False


class RagoneFigure(FrozenStrict):
    """Specific energy vs specific power at one level, one line per value of ``family``."""

    type: Literal["ragone"]
    family: str
    level: Literal["cathode_active", "active_pair", "stack", "cell"] = "cathode_active"


class Study(FrozenStrict):
    """A study file (see the module doc)."""

    kind: Literal["study"]
    name: str
    description: str = ""
    cell: str | None = None
    protocol: str | None = None
    measure: Literal["discharge"] = "discharge"
    model: ModelName | None = None  # default: DFN (a protocol's own)
    mesh_points: int | None = Field(default=None, ge=3)
    mesh: CellMesh | None = None  # the study's own mesh, as a cell file's (else the cell's)
    thermal: ThermalMode = "isothermal"
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
        if self.mesh is not None and self.mesh_points is not None:
            raise ValueError("give 'mesh' or 'mesh_points', not both")
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


__all__ = ["CURRENT", "TEMPERATURE", "Axis", "HeatmapFigure", "Options", "RagoneFigure",
           "Range", "Sampling", "Study"]
