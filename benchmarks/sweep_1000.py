"""A 1000-point SPMe study (cathode loading x discharge current) with ``nasim sweep`` vs the naive
plain-PyBaMM loop (a new ``pybamm.Simulation`` per point) on a subsample, extrapolated.

The study: ``heo_hc_full.yaml`` (HEO || hard carbon, N/P 1.1), SPMe, cathode loading
5-30 mg/cm2 (``--loadings`` values, linear) x current 10-2000 mA/g (``--currents`` values, log),
one discharge per point from the charged state, 25 degC. ``nasim sweep`` runs end to end as a
command (``python -m nasim.cli sweep STUDY --out DIR --workers 2 --quiet``: import, study
loading, grouping, one model build per loading and worker, the solves, the SQLite store,
results.csv and the figures) in a fresh output directory.

The naive loop, per point: load the cell with the point's loading, convert it to
``pybamm.ParameterValues``, set the charged initial state, build a new ``pybamm.Simulation``
(SPMe, the current as ``Current function [A]``, the cell file's mesh as nasim uses it) and
solve to the lower cut-off with IDAKLU.
It runs in this process on ``--subsample`` points spread over the grid; its CPU time per point
x 1000 is the serial estimate and / 2 the estimate for two ideal parallel processes. CPU times
(the sweep's: all its processes) are printed too, since wall times on a shared machine depend
on what else runs. The two
capacities of each subsample point are compared as a check that both solve the same problem.

The sweep's mesh check of the study's corner (:mod:`nasim.sweep.mesh_guard`: 30 mg/cm2 x
2000 mA/g against the 2x mesh, on by default) is not in the timed sweep (``--no-mesh-check``):
it runs after it in this process, and its own wall and CPU time and result are printed beside,
so that the sweep's cost with it can be read off.

``--compiled`` also runs the sweep with ``--compiled`` (IDAKLU's compile option, gcc -O3 of the
model's CasADi functions) twice on a fresh, empty compile cache (``PYBAMM_CASADI_AOT_CACHE`` in a
temporary directory): cold (the gcc build included) and warm (the cached library loaded), and
prints the largest relative difference of every numeric results column from the uncompiled run.
``--subsample 0`` skips the naive loop.

    python benchmarks/sweep_1000.py [--loadings 10] [--currents 100] [--subsample 20] [--compiled]
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

os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pybamm  # noqa: E402

import nasim  # noqa: E402
from nasim.physics import build_model, set_initial_state  # noqa: E402
from nasim.physics.values import to_parameter_values  # noqa: E402
from nasim.protocols.plan import horizon_s  # noqa: E402
from nasim.simulate.mesh import Mesh  # noqa: E402
from nasim.sweep.mesh_guard import check_corner  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CELL = ROOT / "parameter_sets" / "cells" / "heo_hc_full.yaml"
STUDY = """kind: study
name: benchmark 1000-point SPMe study
cell: {cell}
model: SPMe
temperature: 25 degC
axes:
  - {{parameter: cathode.loading, unit: mg/cm2, range: {{min: 5, max: 30, num: {nl}}}}}
  - {{parameter: current, unit: mA/g, range: {{min: 10, max: 2000, num: {nc}, spacing: log}}}}
"""


def _children_cpu_s() -> float:
    """CPU time [s] of the finished child processes (and theirs): the sweep's own cost,
    whatever else the machine runs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_sweep(study: Path, out: Path, workers: int, compiled: bool = False,
              env: dict | None = None) -> tuple[float, float, float, pd.DataFrame]:
    """``nasim sweep`` as a command: wall [s], CPU of all its processes [s], the 1-minute load
    average before it, and its results."""
    load = os.getloadavg()[0]
    cpu0 = _children_cpu_s()
    tic = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "nasim.cli", "sweep", str(study), "--out",
                           str(out), "--workers", str(workers), "--quiet", "--no-mesh-check",
                           *(["--compiled"] if compiled else [])],
                          check=False, stderr=subprocess.DEVNULL, env=env)
    if done.returncode not in (0, 1):  # 1: the study ran and some points failed (recorded)
        raise subprocess.CalledProcessError(done.returncode, done.args)
    wall = time.perf_counter() - tic
    return wall, _children_cpu_s() - cpu0, load, pd.read_csv(out / "results.csv")


def max_relative_difference(frame: pd.DataFrame, reference: pd.DataFrame) -> float:
    """Largest |a - b| / |b| over the numeric result columns of points solved in both (the
    solve times aside); raises if a point's status differs."""
    a = frame.set_index("point_id")
    b = reference.set_index("point_id").loc[a.index]
    if not (a.status == b.status).all():
        raise AssertionError("a point's status differs between compiled and uncompiled")
    columns = [c for c in a.columns if a[c].dtype.kind == "f" and c != "solve_time_s"]
    diff = (a[columns] - b[columns]).abs().to_numpy()
    scale = b[columns].abs().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(diff == 0, 0.0, diff / scale)
    return float(np.nanmax(rel))


def naive_point(loading_mg_per_cm2: float, current_mA_per_g: float) -> float:
    """One point the plain-PyBaMM way; returns the capacity [mAh/g of cathode]."""
    cell = nasim.load_cell(CELL, {"cathode.loading": {
        "value": loading_mg_per_cm2, "unit": "mg/cm2",  # the study's change: outside the
        "source": {"kind": "assumed", "exact": True,  # file's range [8, 15] mg/cm2 it is
                   "reason": "benchmark: the point's loading"}}})  # an exact setting
    values = to_parameter_values(cell)
    set_initial_state(cell, values, 1.0)
    current = current_mA_per_g * cell.design.cathode_active_mass_kg  # mA/g = A/kg
    values["Current function [A]"] = current
    t_end = horizon_s(cell, current)
    model = build_model("SPMe", "full")
    sim = pybamm.Simulation(model, parameter_values=values, solver=pybamm.IDAKLUSolver(),
                            **Mesh.of_cell(cell, "SPMe").simulation_kwargs(model))
    sol = sim.solve([0.0, t_end], t_interp=np.linspace(0.0, t_end, 500))
    mass_g = cell.design.cathode_active_mass_kg * 1e3
    return float(sol["Discharge capacity [A.h]"].entries[-1]) * 1e3 / mass_g


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loadings", type=int, default=10)
    parser.add_argument("--currents", type=int, default=100)
    parser.add_argument("--subsample", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--compiled", action="store_true",
                        help="also run the sweep compiled, cold and warm (empty cache first)")
    args = parser.parse_args()
    n_points = args.loadings * args.currents

    compiled_runs = {}
    with tempfile.TemporaryDirectory(prefix="nasim-bench-") as tmp:
        study = Path(tmp) / "study.yaml"
        study.write_text(STUDY.format(cell=CELL, nl=args.loadings, nc=args.currents))
        sweep_s, sweep_cpu, sweep_load, frame = run_sweep(study, Path(tmp) / "out",
                                                          args.workers)
        if args.compiled:
            env = {**os.environ, "PYBAMM_CASADI_AOT_CACHE": str(Path(tmp) / "aot_cache")}
            for name in ("cold", "warm"):
                run = run_sweep(study, Path(tmp) / f"out_{name}", args.workers, True, env)
                compiled_runs[name] = (*run[:3], max_relative_difference(run[3], frame))
        tic, cpu0 = time.perf_counter(), time.process_time()
        check = check_corner(nasim.load_study(study))
        check_s, check_cpu = time.perf_counter() - tic, time.process_time() - cpu0
    n_ok = int((frame.status == "ok").sum())
    print(f"{n_points}-point SPMe study ({args.loadings} loadings x {args.currents} currents), "
          f"heo_hc_full.yaml, {args.workers} workers, {os.cpu_count()} cores")
    print(f"  nasim sweep (end to end, CLI):     {sweep_s:8.1f} s  ({n_ok} ok, "
          f"{n_points - n_ok} failed; {sweep_cpu:.1f} s CPU in all its processes; load "
          f"{sweep_load:.2f})")
    print(f"  mesh check of the corner (untimed): {check_s:7.1f} s  ({check_cpu:.1f} s CPU; "
          f"{check['status']}: {check['message']})")
    for name, (wall, cpu, load, rel) in compiled_runs.items():
        print(f"  nasim sweep --compiled, {name} cache: {wall:7.1f} s  ({cpu:.1f} s CPU; load "
              f"{load:.2f}; results vs uncompiled: max relative difference {rel:.2g})")
    if args.subsample <= 0:
        return

    rng = np.random.default_rng(0)
    sample = frame.iloc[np.sort(rng.choice(len(frame), args.subsample, replace=False))]
    times, deltas, naive_failed = [], [], 0
    columns = ["cathode.loading_mg_per_cm2", "current_mA_per_g", "status", "capacity_mAh_per_g"]
    for loading, current, status, capacity in sample[columns].itertuples(index=False,
                                                                           name=None):
        tic = time.process_time()
        try:
            naive = naive_point(loading, current)
        except pybamm.SolverError:
            naive_failed += 1
            naive = np.nan
        times.append(time.process_time() - tic)
        if status == "ok" and np.isfinite(naive):
            deltas.append(abs(naive - capacity))
    per_point = float(np.mean(times))
    naive_serial = per_point * n_points
    naive_parallel = naive_serial / args.workers

    print(f"  naive PyBaMM loop, {args.subsample} points:      {sum(times):8.1f} s CPU "
          f"({per_point * 1e3:.0f} ms/point, {naive_failed} failed)")
    print(f"  naive, extrapolated to {n_points}:     {naive_serial:8.1f} s serial, "
          f"{naive_parallel:.1f} s on {args.workers} ideal processes")
    print(f"  ratio naive / nasim:               {naive_serial / sweep_s:8.1f} x serial, "
          f"{naive_parallel / sweep_s:.1f} x at equal cores (wall); "
          f"{naive_serial / sweep_cpu:.1f} x in CPU time")
    # nasim stops a failed point early (electrolyte depleted) and records no solve time for it,
    # the naive loop solves it on: a lower bound of the ratio as if every failed point had cost
    # nasim nothing and is charged the mean solve time of its ok points
    ok_times = [t for t, status in zip(times, sample.status, strict=True) if status == "ok"]
    ok_solve = float(frame.loc[frame.status == "ok", "solve_time_s"].mean())
    if ok_times and np.isfinite(ok_solve):
        bound = np.mean(ok_times) * n_points / (sweep_cpu + (n_points - n_ok) * ok_solve)
        print(f"  on nasim's ok points only: naive {np.mean(ok_times) * 1e3:.0f} ms/point over "
              f"{len(ok_times)}, nasim's solve {ok_solve * 1e3:.1f} ms per ok point; with each "
              f"failed point charged that much on top: >= {bound:.1f} x in CPU time")
    if deltas:
        print(f"  capacity agreement on the subsample: max |delta| = {max(deltas):.3g} mAh/g "
              f"over {len(deltas)} points")


if __name__ == "__main__":
    main()
