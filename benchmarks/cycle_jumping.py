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
    for accelerate in (False, True):
        tic = time.perf_counter()
        result = replay(protocol, accelerate=accelerate)
        runs[accelerate] = (time.perf_counter() - tic, retention(result), result)
    (t_slow, r_slow, _), (t_fast, r_fast, fast) = runs[False], runs[True]
    common = sorted(set(r_slow) & set(r_fast))
    worst = max(abs(r_fast[c] - r_slow[c]) for c in common)
    last = common[-1]
    print(f"{protocol.name}: every cycle {t_slow:.1f} s, cycle jumping {t_fast:.1f} s, "
          f"speed-up {t_slow / t_fast:.1f}x")
    print(f"retention at cycle {last}: {r_slow[last]:.4f} (every cycle) vs {r_fast[last]:.4f} "
          f"(jumping), largest difference over the {len(common)} cycles both solved "
          f"{worst:.4f}")
    print(f"cycles solved with jumping: {len(r_fast)} of {len(r_slow)}")
    print("\n".join(n for n in fast.notes if "jump" in n))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else
         ROOT / "experiments" / "heo_half_cycling_10C.yaml")
