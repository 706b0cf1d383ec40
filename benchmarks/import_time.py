"""Start-up time of nasim's data-only verbs vs importing PyBaMM, as whole processes.

Each command runs as a fresh ``python`` process (the same interpreter, launched the same way):
``nasim material NaNi0.5Mn0.5O2`` (a formula parse), ``nasim params validate
parameter_sets/cells/heo_half.yaml`` (read and validate a cell and the files it references), and
``python -c "import pybamm"``. Prints the median wall time of each and the ratios of the two
nasim verbs to the PyBaMM import (goal: <= 0.3). One untimed warm-up run each fills the OS file
cache and Python's bytecode caches.

    python benchmarks/import_time.py [--repeats 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "nasim material NaNi0.5Mn0.5O2": ["-m", "nasim.cli", "material", "NaNi0.5Mn0.5O2"],
    "nasim params validate heo_half.yaml": ["-m", "nasim.cli", "params", "validate",
                                            "parameter_sets/cells/heo_half.yaml"],
    "python -c 'import pybamm'": ["-c", "import pybamm"],
}
BASELINE = "python -c 'import pybamm'"


def wall_time_s(args: list[str]) -> float:
    env = {**os.environ, "PYBAMM_DISABLE_TELEMETRY": "true"}
    tic = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - tic


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=9)
    repeats = parser.parse_args().repeats
    for args in COMMANDS.values():
        wall_time_s(args)  # warm-up
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(repeats):  # interleaved, so a change of machine load hits every command
        for name, args in COMMANDS.items():
            times[name].append(wall_time_s(args))
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians[BASELINE]
    print(f"python {sys.version.split()[0]}, medians of {repeats} runs (whole process)")
    for name, m in medians.items():
        ratio = "" if name == BASELINE else f"  ratio {m / base:.3f} (goal <= 0.3)"
        print(f"{name:40s} {m:7.3f} s{ratio}")


if __name__ == "__main__":
    main()
