"""Run time and peak memory of a bundled fit, as a user runs it (issue 19, deliver 5).

``python benchmarks/fit_bundled.py [--out DIR] fits/heo_rate_25C/fit.yaml [-- extra nasim fit
arguments, e.g. --starts 1]`` runs ``nasim fit FIT --out DIR --quiet --json`` as a child
process and reports:

- wall time [s], and CPU time [s] of the fit's processes (user + system of the child and its
  worker processes, ``resource.getrusage(RUSAGE_CHILDREN)``);
- peak memory: the largest resident set of any one of its processes (what ``/usr/bin/time -v``
  prints as "Maximum resident set size") and the largest sum over its process tree, sampled
  every 0.2 s from ``/proc`` (Linux) [MB];
- the 1-minute load average before and after (the machine may be shared);
- the report's evaluations, cost and wall time.

There is no plain-PyBaMM side: no plain-PyBaMM program does this fit (``fit_vs_pybop.py``
compares a fit with PyBOP's on the same work).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SAMPLE_S = 0.2


def _tree_rss_mb(root: int) -> float:
    """Sum of the resident sets of ``root`` and its descendants [MB] (0 if gone)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            pages = int((entry / "statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = pages
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total * os.sysconf("SC_PAGE_SIZE") / 1e6


def run(fit: str, out: str, extra: list[str]) -> dict:
    """Run the fit once; the measurements as a dict."""
    load_before = os.getloadavg()[0]
    cmd = [sys.executable, "-m", "nasim.cli", "fit", fit, "--out", out, "--overwrite",
           "--quiet", "--json", *extra]
    env = {**os.environ, "PYBAMM_DISABLE_TELEMETRY": "true"}
    tic = time.perf_counter()
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    peak_sum = 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_sum
        while not stop.wait(SAMPLE_S):
            peak_sum = max(peak_sum, _tree_rss_mb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, _ = process.communicate()
    wall = time.perf_counter() - tic
    stop.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise SystemExit(f"nasim fit exited {process.returncode}:\n{stdout}")
    report = json.loads((Path(out) / "fit_report.json").read_text())
    cpu = usage.ru_utime + usage.ru_stime
    return {"fit": fit, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
            "peak_process_MB": round(usage.ru_maxrss / 1e3), "peak_tree_MB": round(peak_sum),
            "load_1min_before": load_before, "load_1min_after": os.getloadavg()[0],
            "n_evaluations": report["n_evaluations"], "cost": report["cost"],
            "report_wall_time_s": round(report["wall_time_s"], 1),
            "values": {k: v["value"] for k, v in report["parameters"].items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("fit", help="fit file, e.g. fits/heo_rate_25C/fit.yaml")
    parser.add_argument("--out", help="output folder (default: a temporary one)")
    parser.add_argument("extra", nargs="*", help="more `nasim fit` arguments (after --)")
    args = parser.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="nasim-fit-bench-")
    print(json.dumps(run(args.fit, out, args.extra), indent=1))


if __name__ == "__main__":
    main()
