"""From a protocol file to a plan of steps in SI units, for one cell.

Lab units become amperes, volts, seconds and kelvin here: mA/g and A/g through the cathode
active mass, mA/cm2 through the electrode area, C-rates through the cell file's 1C. Every
planned step knows how it ends (voltage limits, current cut-off, duration) and whether reaching
its duration is a proper end (a time or capacity limit) or would mean the step never reached
its cut-off.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from nasim.params.loading import LoadedCell
from nasim.protocols.schema import (
    CurrentStep,
    GittStep,
    HoldStep,
    LabValue,
    Measured,
    Protocol,
    RateTest,
    Repeat,
    RestStep,
    SweepStep,
)

VOLTAGE_OFF_LOW_V = 0.0  # a cut-off that never triggers (events are V - limit)
VOLTAGE_OFF_HIGH_V = 10.0
CURRENT_CUTOFF_OFF_A = -1.0  # |I| - (-1) > 0: the current cut-off event never triggers
HORIZON_FACTOR = 1.5  # a cut-off step may run 1.5x its window time (+ 10 min) before failing
HORIZON_EXTRA_S = 600.0
HOLD_HORIZON_S = 24 * 3600.0

Mode = Literal["current", "voltage"]
Kind = Literal["charge", "discharge", "rest", "hold", "sweep"]


def horizon_s(cell: LoadedCell, current_A: float) -> float:
    """How long a step ended by a cut-off may run before it counts as never reaching it."""
    return HORIZON_FACTOR * cell.design.window_capacity_Ah * 3600.0 / current_A + HORIZON_EXTRA_S


@dataclass(frozen=True)
class PlannedStep:
    """One solve: constant current (``mode="current"``) or prescribed voltage
    V(t) = start + rate t (``mode="voltage"``), in SI units and PyBaMM's sign convention
    (positive current discharges)."""

    number: int
    cycle: int
    kind: Kind
    mode: Mode
    description: str
    temperature_K: float
    duration_s: float
    time_limited: bool
    current_A: float = 0.0
    lower_voltage_V: float = VOLTAGE_OFF_LOW_V
    upper_voltage_V: float = VOLTAGE_OFF_HIGH_V
    voltage_start_V: float | None = None  # None: start from the present voltage (sweeps)
    voltage_target_V: float | None = None  # sweeps: the vertex to reach
    voltage_rate_V_per_s: float = 0.0
    current_cutoff_A: float = CURRENT_CUTOFF_OFF_A
    c_rate: float | None = None
    current_mA_per_g: float | None = None
    label: str | None = None
    measured: Measured | None = None
    group: str | None = None  # GITT: one titration's pulses and rests; repeat: its cycles
    stop_group_at_cutoff: bool = False
    keep_timeseries: bool = True

    @property
    def direction(self) -> str:
        return self.kind


@dataclass(frozen=True)
class RateBlock:
    """A rate test: ``before`` (run once if ``independent``) then one step per rate."""

    before: list[list[PlannedStep]]  # per rate (identical lists when independent)
    rate_steps: list[PlannedStep]
    independent: bool
    label: str | None


@dataclass(frozen=True)
class CycleTarget:
    """A measured value at a cycle of a repeat (capacity and/or retention vs cycle 1)."""

    cycle: int
    first_cycle: int
    capacity_retention: float | None
    capacity_mAh_per_g: float | None
    source: str
    note: str


@dataclass(frozen=True)
class RepeatRule:
    """How a repeat (cycling) ends early: below ``stop_below_retention`` of its first
    discharge capacity, or at a step that cannot be solved."""

    first_cycle: int
    last_cycle: int
    stop_below_retention: float | None


@dataclass
class Plan:
    protocol: Protocol
    cell: LoadedCell
    model: str
    items: list[PlannedStep | RateBlock] = field(default_factory=list)
    cycle_targets: list[CycleTarget] = field(default_factory=list)
    repeats: dict[str, RepeatRule] = field(default_factory=dict)

    def steps(self) -> Iterator[PlannedStep]:
        """Every planned step, a rate block's steps before each rate then its rates (a plain
        list, e.g. for the highest current a protocol runs; how they run:
        :mod:`nasim.simulate.execute`)."""
        for item in self.items:
            if isinstance(item, RateBlock):
                yield from (s for before in item.before for s in before)
                yield from item.rate_steps
            else:
                yield item

    def highest_current_step(self) -> PlannedStep | None:
        """The constant-current step with the largest current (charge or discharge), or None
        when the plan has none; its ``current_A / cell.one_c_current_A`` is the C-rate at which
        a mesh must be converged (``nasim mesh-check``)."""
        steps = [s for s in self.steps() if s.mode == "current" and s.current_A]
        return max(steps, key=lambda s: abs(s.current_A)) if steps else None

    @property
    def n_steps(self) -> int:
        n = 0
        for item in self.items:
            if isinstance(item, RateBlock):
                before = item.before[:1] if item.independent else item.before
                n += sum(len(b) for b in before) + len(item.rate_steps)
            else:
                n += 1
        return n


class _Counter:
    def __init__(self):
        self.step = 0
        self.cycle = 0

    def next_step(self) -> int:
        self.step += 1
        return self.step


def _fmt(v: LabValue | None) -> str:
    return "" if v is None else str(v)


class _Compiler:
    def __init__(self, protocol: Protocol, cell: LoadedCell, base_temperature_K: float):
        self.protocol = protocol
        self.cell = cell
        self.mass_kg = cell.design.cathode_active_mass_kg
        self.one_c_A = cell.one_c_current_A
        self.window = cell.cell.voltage_window
        self.base_T = base_temperature_K
        self.count = _Counter()
        self.repeats: dict[str, RepeatRule] = {}

    # --- conversions
    def amps(self, current: LabValue) -> float:
        """A protocol current in amperes (:meth:`LoadedCell.current_A`)."""
        return self.cell.current_A(current.value, current.unit)

    def temperature(self, step, inherited: float) -> float:
        t = getattr(step, "temperature", None)
        return inherited if t is None else t.si

    # --- steps
    def current_step(self, kind: str, current: LabValue, until_voltage, duration,
                     until_capacity, temperature_K: float, cycle: int, label=None,
                     measured=None, group=None, stop_group=False, keep=True) -> PlannedStep:
        amps = self.amps(current)
        if kind == "discharge":
            lower = (until_voltage or self.window.lower).si
            upper = VOLTAGE_OFF_HIGH_V
            cut = f" until {_fmt(until_voltage) or f'{lower:g} V'}"
        else:
            lower, upper = VOLTAGE_OFF_LOW_V, (until_voltage or self.window.upper).si
            cut = f" until {_fmt(until_voltage) or f'{upper:g} V'}"
        limits = [d.si for d in (duration,) if d is not None]
        if until_capacity is not None:
            limits.append(until_capacity.si * self.mass_kg / amps)
        time_limited = bool(limits)
        t_end = min(limits) if limits else horizon_s(self.cell, amps)
        if duration is not None:
            cut += f" or {duration}"
        if until_capacity is not None:
            cut += f" or {until_capacity}"
        return PlannedStep(
            number=self.count.next_step(), cycle=cycle, kind=kind, mode="current",
            description=f"{kind.capitalize()} at {current}{cut}", temperature_K=temperature_K,
            duration_s=t_end, time_limited=time_limited,
            current_A=amps if kind == "discharge" else -amps,
            lower_voltage_V=lower, upper_voltage_V=upper, c_rate=amps / self.one_c_A,
            current_mA_per_g=amps / self.mass_kg, label=label, measured=measured,
            group=group, stop_group_at_cutoff=stop_group, keep_timeseries=keep,
        )

    def simple(self, step, inherited_T: float, cycle: int, keep: bool) -> list[PlannedStep]:
        T = self.temperature(step, inherited_T)
        if isinstance(step, CurrentStep):
            return [self.current_step(step.type, step.current, step.until_voltage, step.duration,
                                      step.until_capacity, T, cycle, step.label, step.measured,
                                      keep=keep)]
        if isinstance(step, RestStep):
            return [PlannedStep(
                number=self.count.next_step(), cycle=cycle, kind="rest", mode="current",
                description=f"Rest for {step.duration}", temperature_K=T,
                duration_s=step.duration.si, time_limited=True, label=step.label,
                measured=step.measured, keep_timeseries=keep)]
        if isinstance(step, HoldStep):
            cutoff = self.amps(step.until_current)
            return [PlannedStep(
                number=self.count.next_step(), cycle=cycle, kind="hold", mode="voltage",
                description=f"Hold at {step.voltage} until {step.until_current}"
                            + (f" or {step.duration}" if step.duration else ""),
                temperature_K=T,
                duration_s=step.duration.si if step.duration else HOLD_HORIZON_S,
                time_limited=step.duration is not None, voltage_start_V=step.voltage.si,
                current_cutoff_A=cutoff, c_rate=None, label=step.label, measured=step.measured,
                keep_timeseries=keep)]
        if isinstance(step, SweepStep):
            legs = []
            for _ in range(step.cycles):
                for vertex in step.vertices:
                    legs.append(PlannedStep(
                        number=self.count.next_step(), cycle=cycle, kind="sweep",
                        mode="voltage", description=f"Sweep at {step.scan_rate} to {vertex}",
                        temperature_K=T, duration_s=0.0, time_limited=True,
                        voltage_target_V=vertex.si, voltage_rate_V_per_s=step.scan_rate.si,
                        label=step.label, measured=step.measured, keep_timeseries=keep))
            return legs
        if isinstance(step, GittStep):
            group = f"gitt-{self.count.step + 1}"
            out = []
            for i in range(step.count):
                out.append(self.current_step(
                    step.direction, step.current,
                    step.until_voltage, step.pulse, None, T, cycle,
                    label=f"{step.label or 'gitt'} pulse {i + 1}", group=group, stop_group=True,
                    keep=keep))
                out.append(PlannedStep(
                    number=self.count.next_step(), cycle=cycle, kind="rest", mode="current",
                    description=f"Rest for {step.rest}", temperature_K=T,
                    duration_s=step.rest.si, time_limited=True, group=group,
                    keep_timeseries=keep))
            return out
        raise TypeError(f"unexpected step {type(step).__name__}")

    def rate_block(self, step: RateTest, inherited_T: float) -> RateBlock:
        T = self.temperature(step, inherited_T)
        before, rate_steps = [], []
        for i, rate in enumerate(step.rates):
            self.count.cycle += 1
            cycle = self.count.cycle
            if step.independent and i > 0:
                before.append(before[0])
            else:
                seq = []
                for s in step.before_each:
                    seq.extend(self.simple(s, T, cycle, keep=True))
                before.append(seq)
            measured = step.measured.for_rate(i) if step.measured is not None else None
            label = f"{step.label or 'rate'} {rate}"
            rate_steps.append(self.current_step(
                step.step.direction, rate, step.step.until_voltage, step.step.duration, None,
                T, cycle, label=label, measured=measured))
        return RateBlock(before, rate_steps, step.independent, step.label)

    def compile(self, steps, inherited_T: float, out: list, targets: list) -> None:
        """Append the planned steps of ``steps`` to ``out`` (cycle targets to ``targets``)."""
        open_cycle = False
        last_kind = None
        for step in steps:
            if isinstance(step, RateTest):
                out.append(self.rate_block(step, inherited_T))
                open_cycle = False
                continue
            if isinstance(step, Repeat):
                T = self.temperature(step, inherited_T)
                first = self.count.cycle + 1
                group = f"repeat-{first}"
                for k in range(step.count):
                    self.count.cycle += 1
                    keep = k == 0 or (k + 1) % step.keep_timeseries_every == 0 \
                        or k == step.count - 1
                    for s in step.steps:
                        if isinstance(s, RateTest | Repeat | GittStep):
                            raise ValueError("a repeat may hold charge, discharge, hold, rest "
                                             "and sweep steps only")
                        out.extend(replace(p, group=group, label=None if p.label is None
                                           else f"{p.label} cycle {k + 1}")
                                   for p in self.simple(s, T, self.count.cycle, keep))
                self.repeats[group] = RepeatRule(first, self.count.cycle,
                                                 step.stop_below_retention)
                for m in step.measured:
                    targets.append(CycleTarget(first + m.cycle - 1, first, m.capacity_retention,
                                               m.capacity_mAh_per_g, m.source, m.note))
                open_cycle = False
                continue
            kind = getattr(step, "type", None)
            if not open_cycle or (kind == "charge" and last_kind == "discharge"):
                self.count.cycle += 1
                open_cycle = True
            out.extend(self.simple(step, inherited_T, self.count.cycle, keep=True))
            if kind in ("charge", "discharge"):
                last_kind = kind


def compile_protocol(protocol: Protocol, cell: LoadedCell, model: str | None = None) -> Plan:
    """The protocol's steps for ``cell`` in SI units (see :class:`PlannedStep`)."""
    base_T = (protocol.temperature.si if protocol.temperature is not None
              else cell.cell.ambient_temperature.si)
    compiler = _Compiler(protocol, cell, base_T)
    plan = Plan(protocol, cell, model or protocol.model)
    compiler.compile(protocol.steps, base_T, plan.items, plan.cycle_targets)
    plan.repeats = compiler.repeats
    return plan
