"""Calibrate NFM's CEI growth rate to the one NFM cycling datum: the cell "fails completely after
about 150 cycles" at 10C (Huo et al., Chem. Sci. 2026, Fig. 3e).

The protocol is ``experiments/nfm_half_cycling_10C.yaml`` (CC-CV charge at 10C, CC discharge at
10C, 25 degC) on the committed ``nfm_half.yaml`` with every NFM constant as committed except
``cathode.degradation.cei.growth_rate`` (an input parameter here), every cycle solved (no cycle
jumping, so that the failure cycle is exact). The failure cycle of a run is the cycle at which
its cycling ends: the end of life of the protocol (retention below 0.2) or a step that cannot be
solved (the 10C charge starting above 4.2 V once the grown film's IR drop is larger than the
window left at the start of the charge). Bisection on log10 of the rate between ``LOW`` (no
failure by cycle 150) and ``HIGH`` (failure long before) until HIGH/LOW < 1.02; the calibrated
value is HIGH, the smallest rate found that fails by cycle 150. Writes ``calibration.json``
(every run: rate, failure cycle, retention at cycles 50/100/150) next to this file.

    python fits/nfm_failure_10C/calibrate.py
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

from nasim.params.names import STATE_OF_CHARGE
from nasim.protocols import load_protocol
from nasim.simulate.engine import CellRunner
from nasim.simulate.replay import replay_on

HERE = Path(__file__).resolve().parent
PROTOCOL = HERE.parents[1] / "experiments" / "nfm_half_cycling_10C.yaml"
RATE = "cathode.degradation.cei.growth_rate"
#: the datum: failure by this cycle
FAILURE_CYCLE = 150
#: bracket of the CEI growth rate [m/s] (checked by the first two runs)
LOW, HIGH = 1.0e-13, 1.0e-11
#: stop when HIGH / LOW falls below this
RATIO = 1.02


def run(runner: CellRunner, loaded, plan, mechanisms: tuple[str, ...], rate: float) -> dict:
    """One run of the protocol at CEI growth rate ``rate`` [m/s]: its failure cycle (None: it
    completed every cycle) and its retentions."""
    runner.set_inputs({RATE: rate})
    tic, cpu = time.perf_counter(), time.process_time()
    result = replay_on(loaded, plan, runner, mechanisms, accelerate=False)
    s = result.summary
    dis = s[(s.direction == "discharge") & (s.status == "ok")]
    ended = any("end of life" in n or "cycling ended" in n for n in result.notes)
    return {"growth_rate_m_per_s": rate,
            "failure_cycle": int(s.cycle.max()) if ended else None,
            "last_cycle_solved": int(dis.cycle.max()),
            "retention": {int(c): float(dis[dis.cycle == c].retention.iloc[0])
                          for c in (50, 100, 150) if (dis.cycle == c).any()},
            "retention_last": float(dis.retention.iloc[-1]),
            "wall_s": round(time.perf_counter() - tic, 1),
            "cpu_s": round(time.process_time() - cpu, 1)}


def fails(record: dict) -> bool:
    return record["failure_cycle"] is not None and record["failure_cycle"] <= FAILURE_CYCLE


def main() -> None:
    loaded = load_protocol(PROTOCOL)
    plan = loaded.plan(None)
    mechanisms = tuple(loaded.protocol.aging.mechanisms)
    runner = CellRunner(loaded.cell, plan.model,
                        initial_soc=STATE_OF_CHARGE[loaded.protocol.initial_state],
                        aging=mechanisms, inputs={RATE: LOW})
    runs = [run(runner, loaded, plan, mechanisms, r) for r in (LOW, HIGH)]
    if fails(runs[0]) or not fails(runs[1]):
        raise RuntimeError(f"the bracket [{LOW:g}, {HIGH:g}] m/s does not bracket failure by "
                           f"cycle {FAILURE_CYCLE}: {runs}")
    low, high = LOW, HIGH
    while high / low > RATIO:
        mid = math.sqrt(low * high)
        runs.append(run(runner, loaded, plan, mechanisms, mid))
        print(runs[-1], flush=True)
        low, high = (low, mid) if fails(runs[-1]) else (mid, high)
    out = {"datum": "NFM fails completely after about 150 cycles at 10C (Huo et al. 2026, "
                    "Fig. 3e; experiments/nfm_half_cycling_10C.yaml observations)",
           "protocol": "experiments/nfm_half_cycling_10C.yaml (every cycle solved)",
           "parameter": RATE, "calibrated_m_per_s": high, "bracket_m_per_s": [low, high],
           "criterion": f"smallest rate whose run fails by cycle {FAILURE_CYCLE} (to "
                        f"{RATIO:g} in the rate)",
           "runs": sorted(runs, key=lambda r: r["growth_rate_m_per_s"])}
    (HERE / "calibration.json").write_text(json.dumps(out, indent=1) + "\n")
    print(f"calibrated {RATE} = {high:.4g} m/s")


if __name__ == "__main__":
    main()
