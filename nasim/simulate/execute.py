"""The one walk over a compiled :class:`~nasim.protocols.plan.Plan`: which steps are solved, in
which order, from which state.

Replay (:mod:`nasim.simulate.replay`) and fit (:mod:`nasim.fit.problem`) are listeners of this
walk: they differ only in what they record from each solved step (and in what they ask of a
solve: output times, a batch). The rules, taught once:

- a step starts from the end state of the last step that solved (the initial state at first);
  a step that fails leaves the state as it was;
- a rate test (:class:`~nasim.protocols.plan.RateBlock`) runs its ``before`` steps and then its
  rate step, rate after rate; a rate test declared ``independent`` (unless the walk is
  ``sequential``) runs ``before[0]`` once and every rate from its end state, and the state
  after the block is the end of the last rate that solved. A listener may leave out
  independent rates it does not need (they change nothing else), unless the walk goes on past
  the block: then they are solved after it, so that the state after the block follows the rule;
- GITT: after a pulse that ended at its voltage cut-off, the rest of its titration is skipped;
- repeats (cycling) end at a step that cannot be solved, or at a discharge whose capacity falls
  below the repeat's ``stop_below_retention`` of its first discharge; the cycles after the end
  are not run;
- a listener may end the walk early (:meth:`Listener.done`: it has all it needs);
- cycle jumping (``accelerate``, :mod:`nasim.simulate.jump`): within a repeat, the state after
  consecutive solved cycles (jump.SPAN + 1) is extrapolated over N cycles, whose steps are reported
  skipped; cycles the listener keeps (:meth:`Listener.keeps`) are never skipped.

:func:`plan_steps` lists the steps of the same walk without solving (every step, nothing
skipped): step labelling uses it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pybamm

from nasim.analysis.metrics import step_metrics
from nasim.protocols.plan import Plan, PlannedStep, RateBlock, RepeatRule
from nasim.simulate.ends import SimulationError
from nasim.simulate.engine import StepSolution
from nasim.simulate.jump import Jumper


class Solver(Protocol):
    """What the walk needs of a :class:`~nasim.simulate.engine.CellRunner`."""

    def run(self, step: PlannedStep, state: pybamm.Solution | None,
            times: np.ndarray | None = None) -> StepSolution: ...

    def run_parallel(self, steps: list[PlannedStep], state: pybamm.Solution | None
                     ) -> list[StepSolution | SimulationError]: ...


class Listener(Protocol):
    """What a run records from the walk. ``batch_rates``: solve the rates of an independent
    rate test together (:meth:`CellRunner.run_parallel`, fixed output grid) instead of one by
    one with :meth:`prepare`'s settings."""

    batch_rates: bool

    def prepare(self, step: PlannedStep) -> tuple[PlannedStep, np.ndarray | None]:
        """The step to solve for ``step`` and its output times [s from the step start] (None:
        the runner's default)."""
        ...

    def needs(self, step: PlannedStep) -> bool:
        """Whether an independent rate is wanted (see the module doc)."""
        ...

    def done(self) -> bool:
        """True once nothing further is needed: the walk stops."""
        ...

    def keeps(self, step: PlannedStep) -> bool:
        """Whether ``step`` must be solved when cycles are jumped (its cycle is not skipped)."""
        ...

    def solved(self, solved: StepSolution) -> None: ...

    def failed(self, step: PlannedStep, exc: SimulationError) -> None: ...

    def skipped(self, step: PlannedStep, why: str) -> None:
        """A step not run by the GITT rule (``why`` says so)."""
        ...

    def not_run(self, step: PlannedStep) -> None:
        """A step of a repeat after its end of life."""
        ...


@dataclass(frozen=True)
class Single:
    """One step solved from the present state; ``grouped``: the GITT and repeat rules apply
    (top-level steps of the plan)."""

    step: PlannedStep
    grouped: bool = False


@dataclass(frozen=True)
class Rates:
    """The rates of an independent rate test, each solved from the same state."""

    steps: list[PlannedStep]
    label: str | None


def schedule(plan: Plan, sequential: bool = False) -> Iterator[Single | Rates]:
    """The plan as the walk meets it. ``sequential``: independent rate tests run their
    ``before`` steps before every rate."""
    for item in plan.items:
        if not isinstance(item, RateBlock):
            yield Single(item, grouped=True)
        elif item.independent and not sequential:
            yield from (Single(b) for b in item.before[0])
            yield Rates(item.rate_steps, item.label)
        else:
            for before, step in zip(item.before, item.rate_steps, strict=True):
                yield from (Single(b) for b in before)
                yield Single(step)


def plan_steps(plan: Plan, sequential: bool = False) -> Iterator[PlannedStep]:
    """Every step of the plan in the walk's order, without solving (nothing skipped)."""
    for unit in schedule(plan, sequential):
        yield from ([unit.step] if isinstance(unit, Single) else unit.steps)


class _Walk:
    def __init__(self, plan: Plan, runner: Solver, listener: Listener):
        self.plan = plan
        self.runner = runner
        self.listener = listener
        self.state: pybamm.Solution | None = None
        self.notes: list[str] = []
        self.n_recorded = 0  # steps solved, failed or skipped so far
        self.skip_group: str | None = None
        self.ended: set[str] = set()  # repeats past their end of life
        self.first_capacity: dict[str, float] = {}
        self.failed_cycles: set[tuple[str | None, int]] = set()

    def record(self, step: PlannedStep, result: StepSolution | SimulationError) -> None:
        self.n_recorded += 1
        if isinstance(result, SimulationError):
            self.listener.failed(step, result)
        else:
            self.listener.solved(result)

    def solve(self, step: PlannedStep, state: pybamm.Solution | None
              ) -> StepSolution | SimulationError:
        to_solve, times = self.listener.prepare(step)
        try:
            result: StepSolution | SimulationError = self.runner.run(to_solve, state,
                                                                     times=times)
        except SimulationError as exc:
            result = exc
        self.record(step, result)
        return result

    def single(self, unit: Single) -> None:
        step = unit.step
        if unit.grouped and step.group in self.ended:
            self.listener.not_run(step)  # a cycle after the end of life: not run
            return
        if unit.grouped and self.skip_group is not None and step.group == self.skip_group:
            self.n_recorded += 1
            self.listener.skipped(step, "titration ended: an earlier pulse reached the "
                                        "voltage cut-off")
            return
        result = self.solve(step, self.state)
        if isinstance(result, StepSolution):
            self.state = result.end_state
        else:
            self.failed_cycles.add((step.group, step.cycle))
        if not unit.grouped:
            return
        self.skip_group = None
        if (isinstance(result, StepSolution) and step.stop_group_at_cutoff
                and "voltage" in result.termination.lower()):
            self.skip_group = step.group
        rule = self.plan.repeats.get(step.group)
        if rule is not None:
            reason = self.end_of_life(rule, step, result)
            if reason:
                self.ended.add(step.group)
                self.notes.append(reason)

    def rates(self, unit: Rates) -> None:
        start = self.state
        wanted = [s for s in unit.steps if self.listener.needs(s)]
        results: dict[int, StepSolution | SimulationError] = {}
        if self.listener.batch_rates and wanted:
            for step, res in zip(wanted, self.runner.run_parallel(wanted, start), strict=True):
                self.record(step, res)
                results[id(step)] = res
        else:
            for step in wanted:
                results[id(step)] = self.solve(step, start)
        if not self.listener.done():
            for step in unit.steps:
                if id(step) not in results:
                    results[id(step)] = self.solve(step, start)
        for step in unit.steps:  # the rates are solved: the last good one's end
            res = results.get(id(step))
            if isinstance(res, StepSolution):
                self.state = res.end_state
        self.notes.append(
            f"Rate test{f' {unit.label!r}' if unit.label else ''}: the steps before "
            f"each rate were simulated once and every rate started from their end state "
            f"(the file declares them independent of the previous rate); run with "
            f"sequential=True (CLI --sequential) to simulate them before every rate.")

    def end_of_life(self, rule: RepeatRule, step: PlannedStep,
                    result: StepSolution | SimulationError) -> str | None:
        """Why a repeat (cycling) ends at this step, if it does."""
        if isinstance(result, SimulationError):
            return (f"cycling ended at cycle {step.cycle} of {rule.first_cycle}-"
                    f"{rule.last_cycle}: step {self.n_recorded} could not be solved "
                    f"({result.reason})")
        if step.kind != "discharge":
            return None
        capacity = step_metrics(result.columns, self.plan.cell.design.cathode_active_mass_kg
                                )["capacity_mAh_per_g"]
        first = self.first_capacity.setdefault(step.group, capacity)
        if rule.stop_below_retention is not None and capacity < rule.stop_below_retention * first:
            return (f"end of life at cycle {step.cycle}: discharge capacity {capacity:.2f} "
                    f"mAh/g is below {100 * rule.stop_below_retention:g} % of the first "
                    f"cycle's ({first:.2f} mAh/g); the remaining {rule.last_cycle - step.cycle} "
                    f"cycles were not run")
        return None


def execute(plan: Plan, runner: Solver, listener: Listener, *, sequential: bool = False,
            accelerate: bool | None = None) -> Sequence[str]:
    """Walk ``plan`` on ``runner`` (see the module doc), telling ``listener`` every step's
    outcome; returns the notes of the run (rate tests run independently, repeats ended, cycles
    jumped). ``accelerate``: cycle jumping in repeats (None: the protocol's ``aging.
    accelerate``)."""
    walk = _Walk(plan, runner, listener)
    settings = plan.protocol.aging
    on = settings.accelerate if accelerate is None else accelerate
    jumper = (Jumper(runner, settings.jump_tolerance, settings.max_jump)
              if on and plan.repeats and settings.mechanisms else None)
    units = list(schedule(plan, sequential))
    kept = _kept_cycles(units, plan, listener) if jumper is not None else {}
    i = 0
    while i < len(units):
        unit = units[i]
        if listener.done():
            break
        if isinstance(unit, Rates):
            walk.rates(unit)
        else:
            walk.single(unit)
            step = unit.step
            if jumper is not None and step.group in plan.repeats and _ends_cycle(units, i):
                i = _maybe_jump(walk, jumper, units, i, kept[step.group])
        i += 1
    if jumper is not None and jumper.jumps:
        walk.notes.append(jumper.note())
    return walk.notes


def _ends_cycle(units: list, i: int) -> bool:
    step = units[i].step
    nxt = units[i + 1] if i + 1 < len(units) else None
    return not (isinstance(nxt, Single) and nxt.step.group == step.group
                and nxt.step.cycle == step.cycle)


def _kept_cycles(units: list, plan: Plan, listener: Listener) -> dict[str, list[int]]:
    """Per repeat, the cycles that are never jumped (sorted), ending with one past its last."""
    kept: dict[str, set[int]] = {g: {r.last_cycle + 1} for g, r in plan.repeats.items()}
    targets = {t.cycle for t in plan.cycle_targets}
    for unit in units:
        if isinstance(unit, Single) and unit.step.group in kept and (
                listener.keeps(unit.step) or unit.step.cycle in targets):
            kept[unit.step.group].add(unit.step.cycle)
    return {g: sorted(c) for g, c in kept.items()}


def _maybe_jump(walk: _Walk, jumper: Jumper, units: list, i: int, kept: list[int]) -> int:
    """After the last step of a cycle (``units[i]``): record the cycle boundary and jump if
    the jumper allows; returns the index of the last unit consumed."""
    step = units[i].step
    group, cycle = step.group, step.cycle
    if group in walk.ended or (group, cycle) in walk.failed_cycles:
        jumper.cycle_failed(group)
        return i
    jumper.cycle_solved(group, cycle, walk.state)
    next_kept = next(c for c in kept if c > cycle)
    jump = jumper.jump(group, next_kept)
    if jump is None:
        return i
    n, walk.state = jump
    last = cycle + n
    why = (f"cycle jumped: the aging state was extrapolated from cycles {cycle - 1}-{cycle} "
           f"over cycles {cycle + 1}-{last}")
    while i + 1 < len(units) and isinstance(units[i + 1], Single) and \
            units[i + 1].step.group == group and units[i + 1].step.cycle <= last:
        i += 1
        walk.n_recorded += 1
        walk.listener.skipped(units[i].step, why)
    return i
