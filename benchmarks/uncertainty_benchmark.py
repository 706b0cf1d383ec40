"""Time ``nasim replay --uncertainty --samples N`` against the plain replay (issue 14).

    python benchmarks/uncertainty_benchmark.py [PROTOCOL] [--model DFN] [--samples 64]
        [--seed 1] [--workers 2]

Runs the plain replay and the uncertainty replay as ``nasim`` commands (fresh processes, output
into a temporary folder) and prints both wall times and their ratio (goal: <= 10x on 2 cores).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(args: list[str]) -> float:
    tic = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "nasim.cli", *args], cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"nasim {' '.join(args)} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - tic


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("protocol", nargs="?", default="experiments/heo_hc_full_rate_25C.yaml")
    ap.add_argument("--model", default="DFN")
    ap.add_argument("--samples", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plain = timed(["replay", opts.protocol, "--model", opts.model, "--quiet", "--out",
                       str(Path(tmp) / "plain")])
        band = timed(["replay", opts.protocol, "--model", opts.model, "--quiet", "--out",
                      str(Path(tmp) / "band"), "--uncertainty", "--samples",
                      str(opts.samples), "--seed", str(opts.seed), "--workers",
                      str(opts.workers)])
    print(f"{opts.protocol} ({opts.model}): plain replay {plain:.1f} s; --uncertainty "
          f"--samples {opts.samples} ({opts.workers} workers) {band:.1f} s; "
          f"ratio {band / plain:.1f}x")


if __name__ == "__main__":
    main()
