"""Cycle jumping (``aging: {accelerate: true}``, nasim.simulate.jump) against solving every
cycle: a 500-cycle protocol replayed both ways, wall time and retention at the kept cycles.

    python benchmarks/cycle_jumping.py [PROTOCOL]   (default experiments/heo_half_cycling_10C.yaml)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")

from nasim.simulate.replay import replay  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def retention(result) -> dict[int, float]:
    s = result.summary
    dis = s[(s.direction == "discharge") & (s.status == "ok")]
    return {int(c): float(r) for c, r in zip(dis.cycle, dis.retention, strict=True)}


def main(protocol: Path) -> None:
    runs = {}
    cpu = {}
    for accelerate in (False, True):
        tic, cpu_tic = time.perf_counter(), time.process_time()
        result = replay(protocol, accelerate=accelerate)
        cpu[accelerate] = time.process_time() - cpu_tic
        runs[accelerate] = (time.perf_counter() - tic, retention(result), result)
    (t_slow, r_slow, _), (t_fast, r_fast, fast) = runs[False], runs[True]
    common = sorted(set(r_slow) & set(r_fast))
    worst_cycle = max(common, key=lambda c: abs(r_fast[c] - r_slow[c]))
    worst = abs(r_fast[worst_cycle] - r_slow[worst_cycle])
    # the every-cycle run's own largest change from one cycle to the next (a period-2
    # alternation of the cycle-synchronous state shows here)
    steps = {c: abs(r_slow[c] - r_slow[c - 1]) for c in r_slow if c - 1 in r_slow}
    last = common[-1]
    print(f"{protocol.name}: every cycle {t_slow:.1f} s, cycle jumping {t_fast:.1f} s, "
          f"speed-up {t_slow / t_fast:.1f}x (wall); CPU {cpu[False]:.1f} s vs {cpu[True]:.1f} s, "
          f"{cpu[False] / cpu[True]:.1f}x; load average {os.getloadavg()[0]:.1f}")
    print(f"retention at cycle {last}: {r_slow[last]:.4f} (every cycle) vs {r_fast[last]:.4f} "
          f"(jumping), largest difference over the {len(common)} cycles both solved "
          f"{worst:.4f} (cycle {worst_cycle})")
    jolt = max(steps, key=steps.get)
    print(f"every-cycle run: largest change from one cycle to the next {steps[jolt]:.4f} "
          f"(cycle {jolt - 1} to {jolt})")
    print(f"cycles solved with jumping: {len(r_fast)} of {len(r_slow)}")
    print("\n".join(n for n in fast.notes if "jump" in n))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else
         ROOT / "experiments" / "heo_half_cycling_10C.yaml")
