"""Cycle jumping's step rejection (nasim.simulate.jump, nasim.simulate.execute): a jump whose
next cycle cannot be solved is undone and retried shorter, and the run still ends where solving
every cycle ends."""

from __future__ import annotations

import nasim
from nasim.protocols import load_protocol
from tests.conftest import ROOT

FULL = ROOT / "parameter_sets" / "cells" / "heo_hc_full.yaml"


def _fast_sei_cycling(tmp_path, count: int):
    """The full cell's cycling protocol on a cell whose SEI grows fast (its equilibrium
    potential 0.6 V instead of 0.4 V, inside the file's range 0.3-1.0 V): retention 0.90 after
    the first cycle, 0.43 after 30. A first jump of 16 cycles (the controller's start) from
    cycle 3 extrapolates the early, fast fade and leaves a state whose next charge cannot
    start (found in session 5's full-cell uncertainty run, 24 of 32 samples failing so)."""
    path = tmp_path / "fast_sei.yaml"
    path.write_text(f"""kind: protocol
name: fast SEI cycling
cell: {FULL.as_posix()}
model: SPMe
initial_state: discharged
aging: {{mechanisms: [phase_strain, dissolution, sei], accelerate: true, max_jump: 20}}
source: test
steps:
  - repeat:
      count: {count}
      keep_timeseries_every: {count}
      steps:
        - charge: {{current: 100 mA/g, until_voltage: 4.2 V}}
        - discharge: {{current: 100 mA/g, until_voltage: 2.0 V}}
""")
    cell = nasim.load_cell(FULL, {"anode.material.sei.open_circuit_potential": {"value": 0.6}})
    return load_protocol(path, cell)


def _retention(result) -> dict[int, float]:
    s = result.summary
    dis = s[(s.direction == "discharge") & (s.status == "ok")]
    return dict(zip(dis.cycle.astype(int), dis.retention.astype(float), strict=True))


def test_a_failed_jump_is_rejected_and_the_run_matches_every_cycle(tmp_path):
    protocol = _fast_sei_cycling(tmp_path, 30)
    fast = nasim.replay(protocol, accelerate=True)
    slow = nasim.replay(protocol, accelerate=False)
    # the rescue was needed: a jump failed its next cycle and was undone
    assert fast.jumps["jumps_rejected_after_failure"] >= 1
    assert fast.jumps["jumps"] >= 1 and fast.jumps["cycles_jumped"] >= 5
    assert len(fast.failed) == 0 and len(slow.failed) == 0
    assert any("jumps rejected" in n for n in fast.notes)
    # the listener heard each step once, in order: nothing of the undone branches
    steps = fast.steps
    assert len(steps) == 2 * 30 and list(steps.cycle) == sorted(steps.cycle)
    assert not steps.duplicated(["cycle", "direction"]).any()
    fast_r, slow_r = _retention(fast), _retention(slow)
    assert slow_r[30] < 0.5  # not trivial: the cell ages fast
    assert abs(fast_r[30] - slow_r[30]) <= 0.01
    assert len(fast_r) <= 30 - fast.jumps["cycles_jumped"]  # the jumped cycles were not solved


def test_jump_counts_without_jumping(tmp_path):
    """The counts are empty when cycle jumping is off, zero rejections when nothing fails."""
    protocol = _fast_sei_cycling(tmp_path, 4)
    assert nasim.replay(protocol, accelerate=False).jumps == {}
    counts = nasim.replay(protocol, accelerate=True).jumps
    assert counts == {"cycles_jumped": 0, "jumps": 0, "jumps_rejected": 0,
                      "jumps_rejected_after_failure": 0}
