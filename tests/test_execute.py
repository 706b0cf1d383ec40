"""The one walk over a plan (nasim.simulate.execute): replay and fit visit the same steps.

Every bundled protocol is walked without solving: a dry runner returns a made-up solution for
each step and records what it was asked to solve from which state. It fails a few steps, ends
late GITT pulses at their cut-off and lets the discharge capacity of a repeat fade, so that the
rules for failed steps, the state after a rate test, titrations and repeats ending are walked
too. Replay's listener and fit's listener (needing every labelled step) must ask for the same
steps from the same states; the fit may stop once it has all it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from nasim.fit.loading import ResolvedDataset, step_labels
from nasim.fit.problem import FitListener
from nasim.protocols import load_protocol
from nasim.protocols.plan import PlannedStep
from nasim.simulate.ends import SimulationError
from nasim.simulate.engine import StepSolution
from nasim.simulate.execute import execute, plan_steps
from nasim.simulate.replay import _Recorder

EXPERIMENTS = sorted((Path(__file__).parent.parent / "experiments").glob("*.yaml"))


@dataclass(frozen=True)
class _State:
    visit: int  # the visit that ended here


class DryRunner:
    """Stands in for a CellRunner: no PyBaMM; records (step, start state) of every solve."""

    def __init__(self, cathode_mass_kg: float, failing_repeat_step: int | None):
        self.mass_g = cathode_mass_kg * 1e3
        self.failing_repeat_step = failing_repeat_step
        self.visits: list[tuple[PlannedStep, _State | None]] = []

    def run(self, step: PlannedStep, state: _State | None, times=None) -> StepSolution:
        self.visits.append((step, state))
        n = len(self.visits)
        group = step.group or ""
        if ((not group and step.number in (5, 8)) or (group.startswith("gitt") and
                                                      step.number == 157)
                or (group.startswith("repeat") and step.number == self.failing_repeat_step)):
            raise SimulationError(f"dry failure of step {step.number}")
        fade = max(0.1, 1.0 - step.cycle / 400) if group.startswith("repeat") else 1.0
        t = np.array([0.0, 0.5, 1.0]) * min(step.duration_s, 3600.0) * fade
        current = np.full(3, step.current_A)
        frame = {"time_s": t, "current_A": current,
                 "voltage_V": np.array([3.6, 3.4, 3.0]),
                 "capacity_mAh_per_g": np.abs(current) * t / 3.6 / self.mass_g}
        cut_off = not step.time_limited or (step.stop_group_at_cutoff
                                            and step.number % 140 > 120)
        end = ("time or capacity limit reached" if not cut_off
               else "Minimum voltage [V]" if step.current_A > 0 else "Maximum voltage [V]")
        return StepSolution(step, frame, end, _State(n), 0.0)

    def run_parallel(self, steps: list[PlannedStep], state: _State | None
                     ) -> list[StepSolution | SimulationError]:
        out: list[StepSolution | SimulationError] = []
        for s in steps:
            try:
                out.append(self.run(s, state))
            except SimulationError as exc:
                out.append(exc)
        return out


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_replay_and_fit_visit_the_same_steps(path):
    protocol = load_protocol(path)
    plan = protocol.plan()
    mass = plan.cell.design.cathode_active_mass_kg
    # a repeat of at most 300 cycles fails at step 401; longer ones fade below 20 % first
    short = all(r.last_cycle <= 300 for r in plan.repeats.values())
    dry = (mass, 401 if short else None)

    replay_runner = DryRunner(*dry)
    recorder = _Recorder(plan, None, protocol)
    execute(plan, replay_runner, recorder, accelerate=False)  # cycle jumping: test_aging
    assert len(recorder.rows) >= len(replay_runner.visits) > 0

    labels = step_labels(plan)
    soc = 1.0 if protocol.protocol.initial_state == "charged" else 0.0
    listener = FitListener(ResolvedDataset(path.stem, protocol, plan, soc, 1.0), set(labels))
    fit_runner = DryRunner(*dry)
    execute(plan, fit_runner, listener, accelerate=False)

    n = len(fit_runner.visits)
    assert fit_runner.visits == replay_runner.visits[:n]
    assert n == len(replay_runner.visits) or listener.done()
    walked = list(plan_steps(plan))
    assert all(step in walked for step, _ in replay_runner.visits)
