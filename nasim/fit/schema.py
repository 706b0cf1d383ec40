"""Fit definition files (``kind: fit``): what to fit, to which data, with which model.

```yaml
kind: fit
name: heo_rate_25C
cell: ../../parameter_sets/cells/heo_half.yaml
model: DFN
parameters:
  - {path: cathode.diffusivity, initial: 1.0e-15, bounds: [1.0e-17, 1.0e-13], unit: m2/s,
     scale: log}
  - {path: cathode.rate_constant.arrhenius.activation_energy, initial: 40,
     bounds: [10, 90], unit: kJ/mol}
data:
  - protocol: ../../experiments/heo_half_rate_25C.yaml
    targets: measured                 # every capacity/median/retention the protocol attaches
  - protocol: curves/discharge_0p6C.yaml
    curves:
      - {step: discharge, file: ../../data/chayambuka2022/discharge_06C.csv,
         x_column: capacity_mAh, x_unit: mAh, voltage_column: voltage_V}
```

Parameter paths name a value in the parameter files as their YAML nests it, starting at the
role the cell gives the file: ``cathode.<field>`` (the cathode material file, e.g.
``cathode.diffusivity``), ``anode.<field>``, ``electrolyte.<field>``,
``counter_electrode.<field>`` (the Na-metal file) and ``contact_resistance`` (the cell file);
a full cell at a published charged state also has ``initial_stoichiometry.cathode`` /
``.anode`` and ``cathode.loading`` / ``anode.loading`` (cell-file values, see
:data:`nasim.physics.values.WINDOW_PLACING_PATHS`).
A constant function is fitted by its path (its value), any function by ``<path>.scale`` (a
multiplier of the function as the file gives it, e.g. a table), an Arrhenius factor by
``<path>.arrhenius.activation_energy`` and a log-linear stoichiometry dependence by
``<path>.stoichiometry_factor.log10_slope``. ``cathode.material.<field>`` is accepted for
``cathode.<field>`` (the dotted paths of :mod:`nasim.params.overrides`).

Residuals are ``weight (simulated - measured) / sigma``; ``sigma`` defaults to 10 mV for
curve points, 1 % of the measured value for capacities and specific energies (per gram of
cathode active mass, the discharge's integral of V dQ), 5 mV for median voltages and 0.01 for
capacity retentions.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from nasim.params.names import ModelName
from nasim.params.strict import FrozenStrict
from nasim.params.units import CURVE_X_UNITS

QUANTITIES = ("capacity_mAh_per_g", "median_voltage_V", "specific_energy_Wh_per_kg_cathode",
              "capacity_retention")
XUnit = Literal[tuple(CURVE_X_UNITS)]  # type: ignore[valid-type]
DEFAULT_SIGMA_V = 0.01


def _finite(v: float) -> float:
    if isinstance(v, bool) or not math.isfinite(v):
        raise ValueError(f"{v!r} is not a finite number")
    return v


class FitParameter(FrozenStrict):
    """One fitted value: its path, starting value and bounds in ``unit`` (default: the SI unit
    of its dimension), and whether the optimiser works on the value or its logarithm."""

    path: str = Field(min_length=1)
    initial: float
    bounds: tuple[float, float]
    unit: str | None = None
    scale: Literal["linear", "log"] = "linear"
    #: where the bounds come from (a literature range): written into the fitted value's
    #: source as ``range`` (the bounds, in the file's unit) and ``range_source``
    range_source: str | None = Field(default=None, min_length=1)

    _finite_initial = field_validator("initial")(_finite)

    @field_validator("bounds")
    @classmethod
    def _bounds(cls, b: tuple[float, float]) -> tuple[float, float]:
        for v in b:
            _finite(v)
        if not b[0] < b[1]:
            raise ValueError(f"bounds [{b[0]:g}, {b[1]:g}] are inverted or empty: expected "
                             "[lower, upper] with lower < upper")
        return b

    @model_validator(mode="after")
    def _inside(self) -> FitParameter:
        lo, hi = self.bounds
        if not lo <= self.initial <= hi:
            raise ValueError(f"initial value {self.initial:g} is outside the bounds "
                             f"[{lo:g}, {hi:g}]")
        if self.scale == "log" and lo <= 0:
            raise ValueError(f"scale 'log' needs bounds > 0, got [{lo:g}, {hi:g}]")
        return self


class Curve(FrozenStrict):
    """A measured voltage curve of one constant-current step: voltage against capacity (mAh,
    Ah or mAh/g of cathode active mass) or time (s, min, h) from the start of the step. Rows
    may be unsorted; they are sorted by x."""

    step: str = Field(min_length=1, description="label of the protocol step")
    file: str
    x_column: str
    x_unit: XUnit
    voltage_column: str
    voltage_unit: Literal["V", "mV"] = "V"
    sigma_V: float = Field(default=DEFAULT_SIGMA_V, gt=0)
    weight: float = Field(default=1.0, gt=0)


class Target(FrozenStrict):
    """A scalar of one protocol step; ``value`` defaults to the protocol's measured value,
    ``relative_to`` (retention) to the protocol's reference step."""

    step: str = Field(min_length=1, description="label of the protocol step")
    quantity: Literal["capacity_mAh_per_g", "median_voltage_V",
                      "specific_energy_Wh_per_kg_cathode", "capacity_retention"]
    value: float | None = Field(default=None, gt=0)
    relative_to: str | None = None
    sigma: float | None = Field(default=None, gt=0)
    weight: float = Field(default=1.0, gt=0)


class Dataset(FrozenStrict):
    """The data one protocol produced: curves and/or scalar targets (``measured``: every
    measured capacity, median voltage and retention attached to the protocol's steps)."""

    protocol: str
    name: str | None = None
    curves: list[Curve] = Field(default_factory=list)
    targets: list[Target] | Literal["measured"] = Field(default_factory=list)
    weight: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _something(self) -> Dataset:
        if not self.curves and not self.targets:
            raise ValueError("a dataset needs 'curves' and/or 'targets'")
        return self


class FitOptions(FrozenStrict):
    """Optimiser settings: ``starts`` local least-squares runs (the first from the initial
    values, the others from a Latin hypercube over the bounds), each of at most
    ``max_evaluations`` model evaluations; ``jacobian``: IDAKLU forward sensitivities, or
    checked central finite differences on the built model without them (computed only where
    the optimiser asks for a Jacobian; cheaper for many parameters on a DFN)."""

    starts: int = Field(default=3, ge=1)
    max_evaluations: int = Field(default=40, ge=2)
    #: a start also ends when an accepted step lowers the cost by less than this fraction of
    #: it (scipy's ``ftol``): e.g. 1e-3 at a cost of 5 stops below a change of 0.01 in chi^2
    cost_tolerance: float = Field(default=1e-8, gt=0, lt=1)
    seed: int = 0
    jacobian: Literal["sensitivities", "finite_differences"] = "sensitivities"
    #: with finite differences: up to this many accepted steps in a row reuse the last
    #: Jacobian updated by Broyden's rank-one formula instead of a new one (0: never)
    broyden_steps: int = Field(default=0, ge=0)
    mesh_points: int | None = Field(default=None, ge=3)
    #: processes that solve an evaluation's datasets and a finite-difference Jacobian's
    #: columns side by side, this one included (1: all in this process; nasim.fit.parallel)
    processes: int = Field(default=2, ge=1)
    #: also fit on every dataset but one and predict the one left out (nasim.fit.validate)
    leave_one_out: bool = False
    #: where those fits start (parameter path -> value in the parameter's unit; default its
    #: ``initial``): values that owe nothing to the held-out data, e.g. pre-fit priors
    leave_one_out_initial: dict[str, float] = Field(default_factory=dict)


class Prediction(FrozenStrict):
    """A protocol replayed after the fit with the fitted values and compared with its measured
    values without being fitted (a blind check). ``cell`` replays it on another cell file (e.g.
    the other material of the same law) with the fitted values applied by path."""

    protocol: str
    cell: str | None = None


class FitDefinition(FrozenStrict):
    """A fit file."""

    kind: Literal["fit"]
    name: str
    description: str = ""
    cell: str
    model: ModelName = "DFN"
    parameters: list[FitParameter] = Field(min_length=1)
    data: list[Dataset] = Field(min_length=1)
    options: FitOptions = FitOptions()
    predictions: list[Prediction] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> FitDefinition:
        paths = [p.path for p in self.parameters]
        dup = sorted({p for p in paths if paths.count(p) > 1})
        if dup:
            raise ValueError(f"parameters listed twice: {', '.join(dup)}")
        return self
