"""Time ``nasim replay --uncertainty --samples N`` against the plain replay (issue 14).

    python benchmarks/uncertainty_benchmark.py [PROTOCOL] [--model DFN] [--samples 64]
        [--seed 1] [--workers 2]

Runs the plain replay and the uncertainty replay as ``nasim`` commands (fresh processes, output
into a temporary folder) and prints both wall times, both CPU times (all the command's processes:
its worker processes included) and their ratios (goal: <= 10x on 2 cores), with the 1-minute
load average before each run: on a shared machine the CPU ratio is the steadier figure. A plain
replay runs first, untimed, so that a one-off compile of the model (cached on disk) is in
neither figure.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _children_cpu_s() -> float:
    """CPU time [s] of the finished child processes (and theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str]) -> tuple[float, float, float]:
    """``nasim ARGS`` as a command: wall [s], CPU of all its processes [s] and the 1-minute
    load average before it."""
    load = os.getloadavg()[0]
    cpu0 = _children_cpu_s()
    tic = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "nasim.cli", *args], cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"nasim {' '.join(args)} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - tic, _children_cpu_s() - cpu0, load


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("protocol", nargs="?", default="experiments/heo_hc_full_rate_25C.yaml")
    ap.add_argument("--model", default="DFN")
    ap.add_argument("--samples", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # warm-up, not timed: where gcc is found the plain replay compiles its DFN once and
        # PyBaMM keeps the library on disk; neither side pays that again
        timed(["replay", opts.protocol, "--model", opts.model, "--quiet", "--out",
               str(Path(tmp) / "warm_up")])
        plain = timed(["replay", opts.protocol, "--model", opts.model, "--quiet", "--out",
                       str(Path(tmp) / "plain")])
        band = timed(["replay", opts.protocol, "--model", opts.model, "--quiet", "--out",
                      str(Path(tmp) / "band"), "--uncertainty", "--samples",
                      str(opts.samples), "--seed", str(opts.seed), "--workers",
                      str(opts.workers)])
    print(f"{opts.protocol} ({opts.model}), {os.cpu_count()} cores")
    print(f"  plain replay: {plain[0]:.1f} s wall, {plain[1]:.1f} s CPU (load {plain[2]:.2f})")
    print(f"  --uncertainty --samples {opts.samples} ({opts.workers} workers): {band[0]:.1f} s "
          f"wall, {band[1]:.1f} s CPU in all its processes (load {band[2]:.2f})")
    print(f"  ratio: {band[0] / plain[0]:.1f}x wall, {band[1] / plain[1]:.1f}x CPU")


if __name__ == "__main__":
    main()
