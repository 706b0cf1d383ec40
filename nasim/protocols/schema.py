"""Protocol files (``kind: protocol``): a lab test plan as data, validated by pydantic.

A protocol names a cell file, a model and an ambient temperature, and lists steps in lab
units. Every quantity is written ``"<number> <unit>"`` (or ``{value, unit}``):

- currents: ``C`` (the cell file's 1C), ``mA/g`` or ``A/g`` (per cathode active mass),
  ``mA/cm2`` (per electrode area), ``A`` or ``mA``;
- voltages ``V``/``mV``; times ``s``/``min``/``h``; temperatures ``degC``/``K``;
  scan rates ``mV/s``/``V/s``; capacities ``mAh/g`` (per cathode active mass).

Steps (each item has exactly one key):

- ``charge`` / ``discharge``: constant current until a voltage (default: the cell's window),
  a duration and/or a capacity;
- ``hold``: constant voltage until the current falls below ``until_current``;
- ``rest``: open circuit for a duration;
- ``sweep``: linear voltage sweep (cyclic voltammetry) from the present voltage through
  ``vertices`` at ``scan_rate``, ``cycles`` times;
- ``gitt``: ``count`` × (current pulse, rest), ending early when a pulse reaches the cut-off;
- ``rate_test``: for each rate, the ``before_each`` steps then a discharge (or charge) at it;
- ``repeat``: ``steps`` ``count`` times (cycling).

A step may also be a PyBaMM ``Experiment`` string (``"Discharge at C/10 until 2.0 V"``,
``"Rest for 1 hour"``; :mod:`nasim.protocols.experiment`), read as the nasim step that does
the same; its "C" is nasim's 1C (the cell file's), as everywhere here.

Measured values sit beside the step that produced them (``measured:``) so a replay can set
simulation and measurement side by side.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from pydantic import BeforeValidator, Field, model_validator

from nasim.params.names import AgingMechanism, InitialState, ModelName
from nasim.params.strict import FrozenStrict
from nasim.params.units import DIMENSIONS, UnitError, current_basis, to_si
from nasim.protocols.experiment import experiment_step

# --------------------------------------------------------------------------- lab quantities

@dataclass(frozen=True)
class LabValue:
    """A protocol quantity: ``value`` in ``unit`` and its SI value."""

    value: float
    unit: str
    si: float

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}"


def _split(raw: Any) -> tuple[float, str]:
    if isinstance(raw, dict):
        if set(raw) != {"value", "unit"}:
            raise ValueError("expected {value, unit} or a string such as '0.2 C'")
        value, unit = raw["value"], raw["unit"]
    elif isinstance(raw, str):
        m = re.fullmatch(r"\s*([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*(\S+)\s*", raw)
        if m is None:
            raise ValueError(f"{raw!r} is not '<number> <unit>' (e.g. '0.2 C', '4.2 V')")
        value, unit = float(m.group(1)), m.group(2)
    else:
        raise ValueError(f"{raw!r}: expected '<number> <unit>' (e.g. '0.2 C', '4.2 V')")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"value {value!r} is not a finite number")
    return float(value), str(unit)


def _lab(dimension: str, *, positive: bool = False):
    def parse(raw: Any) -> LabValue:
        if isinstance(raw, LabValue):
            return raw
        value, unit = _split(raw)
        try:
            si = to_si(value, unit, dimension)
        except UnitError:
            units = ", ".join(u for u in DIMENSIONS[dimension].factors if u)
            raise ValueError(f"unit {unit!r} is not a {dimension} unit (expected one of "
                             f"{units})") from None
        if positive and not si > 0:
            raise ValueError(f"{value:g} {unit}: expected a value > 0")
        return LabValue(value, unit, si)

    return Annotated[LabValue, BeforeValidator(parse)]


def _current(raw: Any) -> LabValue:
    """A lab current (see :data:`nasim.params.units.CURRENT_UNITS`); ``si`` is in the unit's
    basis (C-rate, A/kg, A/m2 or A: :meth:`nasim.params.loading.LoadedCell.current_A`)."""
    if isinstance(raw, LabValue):
        return raw
    value, unit = _split(raw)
    _, factor = current_basis(unit)  # a UnitError (ValueError) names the current units
    if not value > 0:
        raise ValueError(f"{value:g} {unit}: a current must be > 0 (the step says its "
                         "direction)")
    return LabValue(value, unit, value * factor)


Current = Annotated[LabValue, BeforeValidator(_current)]
Voltage = _lab("voltage", positive=True)
Duration = _lab("time", positive=True)
Temperature = _lab("temperature", positive=True)
ScanRate = _lab("voltage_rate", positive=True)
SpecificCapacity = _lab("specific_capacity", positive=True)


# --------------------------------------------------------------------------- measured data


class MeasuredCurve(FrozenStrict):
    """A measured curve in a CSV file (path relative to the protocol file)."""

    file: str
    capacity_column: str
    voltage_column: str
    capacity_unit: Literal["mAh/g", "mAh", "Ah"] = "mAh/g"
    source: str


def _retention_needs_reference(self):
    """A measured retention names its reference step, and only a retention does."""
    if (self.capacity_retention is None) != (self.relative_to is None):
        raise ValueError("capacity_retention needs relative_to (the label of the reference "
                         "step) and relative_to needs capacity_retention")
    return self


class Measured(FrozenStrict):
    """Measured values of one step (what the report compares against)."""

    capacity_mAh_per_g: float | None = Field(default=None, gt=0)
    median_voltage_V: float | None = Field(default=None, gt=0)
    specific_energy_Wh_per_kg_cathode: float | None = Field(default=None, gt=0)
    specific_power_W_per_kg_cathode: float | None = Field(default=None, gt=0)
    coulombic_efficiency: float | None = Field(default=None, gt=0, le=1.5)
    capacity_retention: float | None = Field(default=None, gt=0)
    relative_to: str | None = None
    curve: MeasuredCurve | None = None
    source: str
    note: str = ""

    _retention_reference = model_validator(mode="after")(_retention_needs_reference)


class CycleMeasured(FrozenStrict):
    """A measured value at one cycle of a ``repeat`` (e.g. retention after 500 cycles)."""

    cycle: int = Field(ge=1)
    capacity_retention: float | None = Field(default=None, gt=0)
    capacity_mAh_per_g: float | None = Field(default=None, gt=0)
    source: str
    note: str = ""


#: a measured value per rate: checked when the file is read, like a step's (gt=0)
Positive = Annotated[float, Field(gt=0)]


class RateMeasured(FrozenStrict):
    """Measured values per rate of a rate test (``null`` where the paper gives none);
    ``capacity_retention`` is relative to the step labelled ``relative_to``."""

    capacity_mAh_per_g: list[Positive | None] | None = None
    median_voltage_V: list[Positive | None] | None = None
    specific_energy_Wh_per_kg_cathode: list[Positive | None] | None = None
    capacity_retention: list[Positive | None] | None = None
    relative_to: str | None = None
    curves: list[MeasuredCurve | None] | None = None
    source: str
    note: str = ""

    _retention_reference = model_validator(mode="after")(_retention_needs_reference)

    def for_rate(self, i: int) -> Measured | None:
        def at(name: str):
            values = getattr(self, name)
            return values[i] if values else None
        cap, ret, curve = at("capacity_mAh_per_g"), at("capacity_retention"), at("curves")
        median, energy = at("median_voltage_V"), at("specific_energy_Wh_per_kg_cathode")
        if all(v is None for v in (cap, ret, curve, median, energy)):
            return None
        return Measured(capacity_mAh_per_g=cap, capacity_retention=ret, median_voltage_V=median,
                        specific_energy_Wh_per_kg_cathode=energy,
                        relative_to=self.relative_to if ret is not None else None,
                        curve=curve, source=self.source, note=self.note)


# --------------------------------------------------------------------------- steps


class _Step(FrozenStrict):
    label: str | None = None
    temperature: Temperature | None = None
    measured: Measured | None = None


class CurrentStep(_Step):
    """Constant current until ``until_voltage`` (default: the cell's window limit), a
    ``duration`` or ``until_capacity`` (mAh/g of cathode), whichever comes first."""

    type: Literal["charge", "discharge"]
    current: Current
    until_voltage: Voltage | None = None
    duration: Duration | None = None
    until_capacity: SpecificCapacity | None = None


class HoldStep(_Step):
    """Constant voltage until |I| < ``until_current`` (or ``duration``)."""

    type: Literal["hold"]
    voltage: Voltage
    until_current: Current
    duration: Duration | None = None


class RestStep(_Step):
    type: Literal["rest"]
    duration: Duration


class SweepStep(_Step):
    """Linear voltage sweep (cyclic voltammetry) from the present voltage through each vertex."""

    type: Literal["sweep"]
    scan_rate: ScanRate
    vertices: list[Voltage] = Field(min_length=1)
    cycles: int = Field(default=1, ge=1)


class GittStep(_Step):
    type: Literal["gitt"]
    direction: Literal["charge", "discharge"]
    current: Current
    pulse: Duration
    rest: Duration
    count: int = Field(ge=1)
    until_voltage: Voltage | None = None


class RateDischarge(FrozenStrict):
    """The rate-varied step of a rate test (its current comes from ``rates``)."""

    direction: Literal["charge", "discharge"] = "discharge"
    until_voltage: Voltage | None = None
    duration: Duration | None = None


def _as_step(raw: Any) -> Any:
    """``{charge: {...}}`` → ``{type: charge, ...}``: one key per step item; a string is a
    PyBaMM ``Experiment`` step (:mod:`nasim.protocols.experiment`)."""
    if isinstance(raw, str):
        return experiment_step(raw)
    if isinstance(raw, dict) and "type" not in raw:
        if len(raw) != 1:
            raise ValueError(f"a step has exactly one key ({', '.join(STEP_TYPES)}); "
                             f"got {sorted(raw)}")
        (kind, body), = raw.items()
        if kind not in STEP_TYPES:
            raise ValueError(f"unknown step {kind!r}; expected one of {', '.join(STEP_TYPES)}")
        if not isinstance(body, dict):
            raise ValueError(f"step {kind!r}: expected a mapping of its settings, got {body!r}")
        return {"type": kind, **body}
    return raw


class RateTest(FrozenStrict):
    """For each rate: ``before_each`` (the charge protocol, explicit), then the rate step.

    ``independent: true`` declares that ``before_each`` ends in the same state whatever the
    previous rate was (e.g. a CV hold to a low current and a rest): nasim then simulates
    ``before_each`` once and runs every rate from its end state, in parallel. ``false`` runs
    the rates one after the other exactly as written.
    """

    type: Literal["rate_test"]
    label: str | None = None
    rates: list[Current] = Field(min_length=1)
    before_each: list[Step] = Field(default_factory=list)
    step: RateDischarge = RateDischarge()
    temperature: Temperature | None = None
    independent: bool = True
    measured: RateMeasured | None = None

    @model_validator(mode="after")
    def _lengths(self) -> RateTest:
        if self.measured is None:
            return self
        for name in ("capacity_mAh_per_g", "median_voltage_V",
                     "specific_energy_Wh_per_kg_cathode", "capacity_retention", "curves"):
            values = getattr(self.measured, name)
            if values is not None and len(values) != len(self.rates):
                raise ValueError(f"measured.{name} has {len(values)} values for "
                                 f"{len(self.rates)} rates")
        return self


class Repeat(FrozenStrict):
    """``steps`` ``count`` times: one cycle per repetition."""

    type: Literal["repeat"]
    label: str | None = None
    count: int = Field(ge=1)
    steps: list[Step] = Field(min_length=1)
    temperature: Temperature | None = None
    keep_timeseries_every: int = Field(default=50, ge=1)
    #: end of life: stop when a discharge falls below this fraction of the repeat's first one
    stop_below_retention: float | None = Field(default=None, gt=0.0, lt=1.0)
    measured: list[CycleMeasured] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cycles(self) -> Repeat:
        for m in self.measured:
            if m.cycle > self.count:
                raise ValueError(f"measured cycle {m.cycle} is beyond count {self.count}")
        return self


STEP_TYPES = ("charge", "discharge", "hold", "rest", "sweep", "gitt", "rate_test", "repeat")

Step = Annotated[
    Union[CurrentStep, HoldStep, RestStep, SweepStep, GittStep, RateTest, Repeat],  # noqa: UP007
    Field(discriminator="type"),
    BeforeValidator(_as_step),
]
RateTest.model_rebuild()
Repeat.model_rebuild()


def _as_aging(value: Any) -> Any:
    """``aging: [mechanisms]`` is short for ``aging: {mechanisms: [...]}``."""
    return {"mechanisms": value} if isinstance(value, list | tuple) else value


class Aging(FrozenStrict):
    """Cycle aging of a protocol: the mechanisms switched on (nasim.physics.aging) and cycle
    jumping (nasim.simulate.execute): with ``accelerate``, the slow aging states of a repeat
    are extrapolated over skipped cycles between fully solved runs of three cycles; the jump
    length adapts so that the estimated error of an extrapolated state stays below
    ``jump_tolerance`` (relative to the state's value), at most ``max_jump`` cycles."""

    mechanisms: list[AgingMechanism] = Field(default_factory=list)
    accelerate: bool = False
    jump_tolerance: float = Field(default=2e-3, gt=0.0, le=0.1)
    max_jump: int = Field(default=50, ge=1, le=1000)


class Protocol(FrozenStrict):
    """A protocol file."""

    kind: Literal["protocol"]
    name: str
    description: str = ""
    cell: str
    model: ModelName = "DFN"
    temperature: Temperature | None = None
    initial_state: InitialState = "discharged"
    #: aging mechanisms switched on (nasim.physics.aging): phase_strain, dissolution, sei; a
    #: list, or a mapping with ``mechanisms`` and cycle-jumping settings (:class:`Aging`)
    aging: Annotated[Aging, BeforeValidator(_as_aging)] = Field(default_factory=Aging)
    source: str
    assumptions: list[str] = Field(default_factory=list)
    observations: list[str] = Field(default_factory=list)  # qualitative, shown in the report
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _labels(self) -> Protocol:
        labels = [s.label for _, s in step_tree(self.steps) if s.label is not None]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise ValueError(f"step labels must be unique; repeated: {', '.join(dup)}")
        return self


def step_tree(steps: list, field: str = "steps") -> Iterator[tuple[str, Any]]:
    """Every step of a protocol's step list, depth first (a rate test's ``before_each`` and a
    repeat's ``steps`` after the step holding them), with its field path (e.g.
    ``steps[2].before_each[0]``): the one walk over the step tree."""
    for i, step in enumerate(steps):
        where = f"{field}[{i}]"
        yield where, step
        for key in ("before_each", "steps"):
            yield from step_tree(getattr(step, key, None) or [], f"{where}.{key}")
