"""Reuse across calls: the first and the later ``nasim.replay`` of one protocol in one process.

The first call builds the model(s) and sets up the solver; later calls of the same cell
content, model and settings take them from the in-process cache
(:mod:`nasim.simulate.cache`) and only load the files, solve and tabulate. Before the first
call a replay of another cell's protocol (``--warm-up``, default the NFM rate test: no model
in common) pays the process's one-off costs (lazy imports, first PyBaMM calls), so that the
first call's extra time is the build and set-up alone. Prints the first call, the median of
the later ones, their ratio (goal <= 0.5) and the load average.

    python benchmarks/replay_reuse.py [--repeats 5] [--protocol P] [--warm-up P2 | --warm-up ""]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")

import nasim  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--protocol", default=str(ROOT / "experiments" /
                                                  "heo_half_rate_25C.yaml"))
    parser.add_argument("--warm-up", default=str(ROOT / "experiments" /
                                                 "nfm_half_rate_25C.yaml"))
    args = parser.parse_args()
    if args.warm_up:
        nasim.replay(args.warm_up)

    times, caps = [], []
    for _ in range(1 + args.repeats):
        tic = time.perf_counter()
        result = nasim.replay(args.protocol)
        times.append(time.perf_counter() - tic)
        caps.append(result.summary.capacity_mAh_per_g.to_numpy())
    later = statistics.median(times[1:])
    print(f"{Path(args.protocol).name}: first call {times[0]:.3f} s, later calls "
          f"{', '.join(f'{t:.3f}' for t in times[1:])} s (median {later:.3f} s); "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"ratio later / first: {later / times[0]:.3f}; capacities identical: "
          f"{all((c == caps[0]).all() for c in caps)}")


if __name__ == "__main__":
    main()
