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
  skipped; cycles the listener keeps (:meth:`Listener.keeps`) are never skipped. A jump is on
  trial until the cycles after it are solved: the listener hears of the skipped and solved steps
  only once it is accepted; a rejected jump (a failed cycle after it, or too large an error) puts
  the walk back where it jumped from, its records dropped, and the jump is retried half as long.

:func:`plan_steps` lists the steps of the same walk without solving (every step, nothing
skipped): step labelling uses it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pybamm

from nasim.analysis.metrics import step_metrics
from nasim.protocols.plan import Plan, PlannedStep, RateBlock, RepeatRule
from nasim.simulate.ends import SimulationError
from nasim.simulate.engine import StepSolution
from nasim.simulate.jump import SPAN, Jumper


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


@dataclass
class Walked:
    """What :func:`execute` returns: the notes of the run (rate tests run independently,
    repeats ended, cycles jumped) and the cycle-jumping counts (:meth:`Jumper.counts`:
    ``cycles_jumped``, ``jumps``, ``jumps_rejected``, ``jumps_rejected_after_failure``;
    empty without cycle jumping)."""

    notes: list[str]
    jumps: dict[str, int] = field(default_factory=dict)


class _Held:
    """A listener's stand-in while a jump is on trial: the records (solved, failed, skipped,
    not run) are held back until :meth:`release`; the questions go to the listener."""

    def __init__(self, listener: Listener):
        self.listener = listener
        self.batch_rates = listener.batch_rates
        self.calls: list[Callable[[], None]] = []

    def prepare(self, step: PlannedStep) -> tuple[PlannedStep, np.ndarray | None]:
        return self.listener.prepare(step)

    def needs(self, step: PlannedStep) -> bool:
        return self.listener.needs(step)

    def done(self) -> bool:
        return self.listener.done()

    def keeps(self, step: PlannedStep) -> bool:
        return self.listener.keeps(step)

    def solved(self, solved: StepSolution) -> None:
        self.calls.append(functools.partial(self.listener.solved, solved))

    def failed(self, step: PlannedStep, exc: SimulationError) -> None:
        self.calls.append(functools.partial(self.listener.failed, step, exc))

    def skipped(self, step: PlannedStep, why: str) -> None:
        self.calls.append(functools.partial(self.listener.skipped, step, why))

    def not_run(self, step: PlannedStep) -> None:
        self.calls.append(functools.partial(self.listener.not_run, step))

    def release(self) -> None:
        for call in self.calls:
            call()


@dataclass
class _Trial:
    """A jump on trial: the repeat, the unit that ended the cycle it jumped from, and the
    walk's bookkeeping then (restored if the jump is rejected)."""

    group: str
    index: int
    saved: dict


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

    def hold(self, group: str, index: int) -> _Trial:
        """Put a jump from the boundary at ``units[index]`` on trial (records held back)."""
        saved = {"state": self.state, "n_recorded": self.n_recorded,
                 "skip_group": self.skip_group, "ended": set(self.ended),
                 "first_capacity": dict(self.first_capacity),
                 "failed_cycles": set(self.failed_cycles), "notes": list(self.notes)}
        self.listener = _Held(self.listener)
        return _Trial(group, index, saved)

    def settle(self, trial: _Trial, accept: bool) -> None:
        """End a trial: the held records go to the listener (``accept``), or are dropped and
        the walk is back where it jumped from."""
        held = self.listener
        assert isinstance(held, _Held)
        self.listener = held.listener
        if accept:
            held.release()
            return
        for name, value in trial.saved.items():
            setattr(self, name, value)

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
            accelerate: bool | None = None) -> Walked:
    """Walk ``plan`` on ``runner`` (see the module doc), telling ``listener`` every step's
    outcome; returns the notes of the run and the cycle-jumping counts. ``accelerate``: cycle
    jumping in repeats (None: the protocol's ``aging.accelerate``)."""
    walk = _Walk(plan, runner, listener)
    settings = plan.protocol.aging
    on = settings.accelerate if accelerate is None else accelerate
    jumper = (Jumper(runner, settings.jump_tolerance, settings.max_jump)
              if on and plan.repeats and settings.mechanisms else None)
    units = list(schedule(plan, sequential))
    kept = _kept_cycles(units, plan, listener) if jumper is not None else {}
    trial: _Trial | None = None
    i = 0
    while i < len(units):
        unit = units[i]
        if trial is not None and not (isinstance(unit, Single)
                                      and unit.step.group == trial.group):
            trial = _accept(walk, jumper, trial)  # the repeat's last cycle came first
        if listener.done():
            break
        if isinstance(unit, Rates):
            walk.rates(unit)
        else:
            walk.single(unit)
            step = unit.step
            if jumper is not None and step.group in plan.repeats and _ends_cycle(units, i):
                i, trial = _after_cycle(walk, jumper, units, i, kept[step.group], trial)
        i += 1
    if trial is not None:
        _accept(walk, jumper, trial)
    if jumper is None:
        return Walked(walk.notes)
    if jumper.jumps or jumper.rejected:
        walk.notes.append(jumper.note())
    return Walked(walk.notes, jumper.counts())


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


def _accept(walk: _Walk, jumper: Jumper, trial: _Trial) -> None:
    walk.settle(trial, accept=True)
    jumper.accept(trial.group)


def _after_cycle(walk: _Walk, jumper: Jumper, units: list, i: int, kept: list[int],
                 trial: _Trial | None) -> tuple[int, _Trial | None]:
    """After the last step of a cycle (``units[i]``): judge the jump on trial, record the
    cycle boundary and jump if the jumper allows; returns the index of the last unit consumed
    and the jump now on trial."""
    step = units[i].step
    group, cycle = step.group, step.cycle
    failed = (group, cycle) in walk.failed_cycles
    if trial is not None and failed:
        return _reject(walk, jumper, units, trial, kept, failed=True)
    if group in walk.ended or failed:
        if trial is not None:  # ended by its retention rule: the jump stands
            _accept(walk, jumper, trial)
        jumper.cycle_failed(group)
        return i, None
    verdict = jumper.cycle_solved(group, cycle, walk.state)
    if verdict is False and trial is not None:
        return _reject(walk, jumper, units, trial, kept, failed=False)
    if verdict and trial is not None:
        walk.settle(trial, accept=True)
        trial = None
    if trial is not None:
        return i, trial
    return _jump(walk, jumper, units, i, kept)


def _reject(walk: _Walk, jumper: Jumper, units: list, trial: _Trial, kept: list[int],
            failed: bool) -> tuple[int, _Trial | None]:
    """Undo the jump on trial (``failed``: a cycle after it failed) and jump again from its
    boundary, half as far (or not)."""
    walk.settle(trial, accept=False)
    jumper.reject(trial.group, failed)
    return _jump(walk, jumper, units, trial.index, kept)


def _jump(walk: _Walk, jumper: Jumper, units: list, i: int, kept: list[int]
          ) -> tuple[int, _Trial | None]:
    """Jump from the cycle boundary at ``units[i]`` if the jumper allows: the skipped steps
    are reported (held with the trial); returns the index of the last unit consumed and the
    trial."""
    step = units[i].step
    group, cycle = step.group, step.cycle
    next_kept = next(c for c in kept if c > cycle)
    jump = jumper.jump(group, next_kept)
    if jump is None:
        return i, None
    trial = walk.hold(group, i)
    n, walk.state = jump
    last = cycle + n
    why = (f"cycle jumped: the aging state was extrapolated from cycles {cycle - SPAN}-{cycle} "
           f"over cycles {cycle + 1}-{last}")
    while i + 1 < len(units) and isinstance(units[i + 1], Single) and \
            units[i + 1].step.group == group and units[i + 1].step.cycle <= last:
        i += 1
        walk.n_recorded += 1
        walk.listener.skipped(units[i].step, why)
    return i, trial
