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
value is HIGH, the smallest rate found that fails by cycle 150. The datum says "about" 150
cycles: read as 150 +/- 30 (assumed), the same bisection for failure by cycle 180 and by cycle
120 gives the value's range (``READING``). Writes ``calibration.json`` (every run: rate, failure
cycle, retention at cycles 50/100/150) next to this file.

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
#: the datum's reading, "about 150 cycles" as 150 +/- 30 (assumed): the ends of the value's range
READING = (180, 120)
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


def fails(record: dict, by_cycle: int) -> bool:
    return record["failure_cycle"] is not None and record["failure_cycle"] <= by_cycle


def smallest_failing_rate(runs: list[dict], by_cycle: int, step) -> float:
    """The smallest rate [m/s] (to ``RATIO``) whose run fails by ``by_cycle``: bisection on
    log10 of the rate inside the tightest bracket of ``runs`` (``step(rate)`` runs one more and
    appends it)."""
    low = max(r["growth_rate_m_per_s"] for r in runs if not fails(r, by_cycle))
    high = min(r["growth_rate_m_per_s"] for r in runs if fails(r, by_cycle))
    while high / low > RATIO:
        mid = math.sqrt(low * high)
        record = step(mid)
        low, high = (low, mid) if fails(record, by_cycle) else (mid, high)
    return high


def main() -> None:
    loaded = load_protocol(PROTOCOL)
    plan = loaded.plan(None)
    mechanisms = tuple(loaded.protocol.aging.mechanisms)
    runner = CellRunner(loaded.cell, plan.model,
                        initial_soc=STATE_OF_CHARGE[loaded.protocol.initial_state],
                        aging=mechanisms, inputs={RATE: LOW})
    runs = [run(runner, loaded, plan, mechanisms, r) for r in (LOW, HIGH)]
    if any(fails(runs[0], c) for c in (FAILURE_CYCLE, *READING)) or not all(
            fails(runs[1], c) for c in (FAILURE_CYCLE, *READING)):
        raise RuntimeError(f"the bracket [{LOW:g}, {HIGH:g}] m/s does not bracket failure by "
                           f"cycles {READING[1]}-{READING[0]}: {runs}")

    def step(rate: float) -> dict:
        runs.append(run(runner, loaded, plan, mechanisms, rate))
        print(runs[-1], flush=True)
        return runs[-1]

    calibrated = smallest_failing_rate(runs, FAILURE_CYCLE, step)
    reading = [smallest_failing_rate(runs, c, step) for c in READING]
    out = {"datum": "NFM fails completely after about 150 cycles at 10C (Huo et al. 2026, "
                    "Fig. 3e; experiments/nfm_half_cycling_10C.yaml observations)",
           "protocol": "experiments/nfm_half_cycling_10C.yaml (every cycle solved)",
           "parameter": RATE, "calibrated_m_per_s": calibrated,
           "criterion": f"smallest rate whose run fails by cycle {FAILURE_CYCLE} (to "
                        f"{RATIO:g} in the rate)",
           "range_m_per_s": reading,
           "range_criterion": f"the same for failure by cycle {READING[0]} and by cycle "
                              f"{READING[1]} (the datum's 'about 150' read as 150 +/- 30, "
                              "assumed)",
           "runs": sorted(runs, key=lambda r: r["growth_rate_m_per_s"])}
    (HERE / "calibration.json").write_text(json.dumps(out, indent=1) + "\n")
    print(f"calibrated {RATE} = {calibrated:.4g} m/s, range {reading[0]:.4g}-{reading[1]:.4g}")


if __name__ == "__main__":
    main()
