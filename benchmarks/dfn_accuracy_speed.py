"""Accuracy per cost of nasim's default DFN (issue 19, deliver 1).

For the 1C and 20C discharge of ``heo_half.yaml`` and the 1C discharge of ``heo_hc_full.yaml``
(from the charged state, 25 degC): nasim's default DFN (the cell file's ``mesh:``, nasim's
default solver settings, compiled) and plain PyBaMM's default DFN (20 uniform points per domain and
particle, IDAKLU at its default tolerances, the same model options, converted parameter values
and start state: :func:`nasim.to_pybamm`) are each compared with a reference: the same
discharge on 80 uniform points per domain and per particle at rtol 1e-6 / atol 1e-8
(:func:`nasim.simulate.mesh.compare_curves`: end capacity and RMS voltage over the common
capacity range).

Repeat solves, each side's model built once: nasim's ``CellRunner.run`` as ``nasim.replay`` and
``nasim.simulate`` build it by default (compiled by gcc where gcc is found, with the cell's
values as inputs: :mod:`nasim.simulate.compile`; the compile itself is not timed, PyBaMM caches
it on disk) -- solve to the cut-off, end check, output table of time, current, voltage,
capacity, minimum electrolyte concentration -- and plain PyBaMM's ``Simulation.solve`` on the
same output times, reading voltage and discharge capacity. Interleaved, medians of CPU
(``time.process_time``) and wall time; the load average is printed. The goal: each case
within 0.2 % capacity and 2 mV RMS of the reference at <= 0.33x plain PyBaMM's repeat-solve
time (exit code 1 if a case misses).

    python benchmarks/dfn_accuracy_speed.py [--repeats 21] [--reference 80] [--uncompiled]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")

import numpy as np  # noqa: E402
import pybamm  # noqa: E402

import nasim  # noqa: E402
from nasim.simulate.compile import default_for  # noqa: E402
from nasim.simulate.engine import CellRunner, constant_current_step, output_times  # noqa: E402
from nasim.simulate.mesh import Mesh, compare_curves  # noqa: E402

CELLS = Path(__file__).resolve().parents[1] / "parameter_sets" / "cells"
CASES = (("heo_half.yaml", 1.0), ("heo_half.yaml", 20.0), ("heo_hc_full.yaml", 1.0))
REFERENCE_TOLERANCES = {"rtol": 1e-6, "atol": 1e-8}
GOAL_CAPACITY, GOAL_VOLTAGE_MV, GOAL_RATIO = 2e-3, 2.0, 0.33


def discharge(cell, c_rate: float):
    """The constant-current discharge step of ``cell`` at ``c_rate`` (25 degC ambient)."""
    return constant_current_step(cell, "discharge", cell.current_A(c_rate=c_rate),
                                 cell.cell.ambient_temperature.si)


def nasim_curve(runner: CellRunner, step) -> tuple[np.ndarray, np.ndarray]:
    """Capacity [mAh] and voltage [V] of one solve of ``step`` from the runner's start."""
    frame = runner.run(step, None).frame
    return frame.capacity_mAh.to_numpy(), frame.voltage_V.to_numpy()


def reference_curve(cell, c_rate: float, points: int) -> tuple[np.ndarray, np.ndarray]:
    """The discharge on ``points`` uniform points everywhere at tight tolerances."""
    runner = CellRunner(cell, "DFN", initial_soc=1.0, mesh_points=Mesh.uniform(points),
                        tolerances=REFERENCE_TOLERANCES)
    return nasim_curve(runner, discharge(cell, c_rate))


def plain_pybamm(cell, step):
    """Plain PyBaMM's default DFN of the same discharge (:func:`nasim.to_pybamm`: nasim's model
    options and converted values, charged start; PyBaMM's default mesh and solver): a solve
    function returning capacity [mAh] and voltage [V] (the model is built at the first call),
    and the simulation."""
    model, values = nasim.to_pybamm(cell, "DFN", "charged")
    values.update({"Current function [A]": step.current_A,
                   "Lower voltage cut-off [V]": step.lower_voltage_V,
                   "Upper voltage cut-off [V]": step.upper_voltage_V,
                   "Ambient temperature [K]": step.temperature_K,
                   "Initial temperature [K]": step.temperature_K}, check_already_exists=False)
    sim = pybamm.Simulation(model, parameter_values=values, solver=pybamm.IDAKLUSolver())
    t_interp = output_times(step.duration_s, 300, 100)

    def solve() -> tuple[np.ndarray, np.ndarray]:
        sol = sim.solve([0.0, step.duration_s], t_interp=t_interp)
        return (1e3 * sol["Discharge capacity [A.h]"].entries, sol["Voltage [V]"].entries)

    return solve, sim


def time_interleaved(solves: dict, repeats: int) -> dict:
    """Median wall and CPU time [ms] of each solve function, run in turn ``repeats`` times."""
    times = {(name, clock): [] for name in solves for clock in ("wall", "cpu")}
    for _ in range(repeats):
        for name, solve in solves.items():
            tic, cpu = time.perf_counter(), time.process_time()
            solve()
            times[name, "cpu"].append(time.process_time() - cpu)
            times[name, "wall"].append(time.perf_counter() - tic)
    return {k: 1e3 * statistics.median(v) for k, v in times.items()}


def run_case(cell_file: str, c_rate: float, repeats: int, reference: int,
             uncompiled: bool) -> dict:
    """One case: errors against the reference and interleaved repeat-solve times of nasim's
    default DFN, plain PyBaMM's default DFN and (``uncompiled``) nasim's uncompiled DFN."""
    cell = nasim.load_cell(CELLS / cell_file)
    step = discharge(cell, c_rate)
    q_ref, v_ref = reference_curve(cell, c_rate, reference)
    runner = CellRunner(cell, "DFN", initial_soc=1.0, compiled=default_for("DFN"))
    plain, sim = plain_pybamm(cell, step)
    curves = {"nasim": nasim_curve(runner, step), "plain": plain()}  # build, set up, 1st solve
    solves = {"nasim": lambda: runner.run(step, None), "plain": plain}
    if uncompiled:
        slow = CellRunner(cell, "DFN", initial_soc=1.0, compiled=False)
        curves["uncompiled"] = nasim_curve(slow, step)
        solves["uncompiled"] = lambda: slow.run(step, None)
    times = time_interleaved(solves, repeats)
    row = {"case": f"{cell_file} {c_rate:g}C", "reference_mAh": float(q_ref[-1]),
           "nasim_states": runner.n_states, "compiled": runner.compiled,
           "plain_states": int(sim.built_model.concatenated_initial_conditions.shape[0])}
    for side, (q, v) in curves.items():
        row[f"{side}_capacity_rel"], row[f"{side}_voltage_rms_mV"] = compare_curves(
            q, v, q_ref, v_ref)
    row["uncompiled_states"] = row["nasim_states"]
    for side in curves:
        for clock in ("cpu", "wall"):
            row[f"{side}_{clock}_ms"] = times[side, clock]
            row[f"{side}_ratio_{clock}"] = times[side, clock] / times["plain", clock]
    row["met"] = (row["nasim_capacity_rel"] <= GOAL_CAPACITY
                  and row["nasim_voltage_rms_mV"] <= GOAL_VOLTAGE_MV
                  and row["nasim_ratio_cpu"] <= GOAL_RATIO)
    return row


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--reference", type=int, default=80,
                        help="uniform points per domain and particle of the reference")
    parser.add_argument("--uncompiled", action="store_true",
                        help="also time nasim's DFN without IDAKLU's compiled mode")
    args = parser.parse_args()
    rows = []
    for cell_file, c_rate in CASES:
        rows.append(run_case(cell_file, c_rate, args.repeats, args.reference, args.uncompiled))
        r = rows[-1]
        print(f"{r['case']}: reference {r['reference_mAh']:.5f} mAh; nasim's default "
              f"{'compiled' if r['compiled'] else 'not compiled (no gcc or NASIM_COMPILE=0)'};"
              f" load average {os.getloadavg()[0]:.2f}", flush=True)
        for side in ("nasim", "uncompiled", "plain") if args.uncompiled else ("nasim", "plain"):
            ratio = ("" if side == "plain" else f"; ratio to plain {r[f'{side}_ratio_cpu']:.3f}"
                     f" CPU, {r[f'{side}_ratio_wall']:.3f} wall")
            print(f"  {side:10s}: {r[f'{side}_states']} states, capacity "
                  f"{100 * r[f'{side}_capacity_rel']:.3f} %, voltage RMS "
                  f"{r[f'{side}_voltage_rms_mV']:.2f} mV vs the reference; repeat solve "
                  f"{r[f'{side}_cpu_ms']:.1f} ms CPU, {r[f'{side}_wall_ms']:.1f} ms wall{ratio}")
        print(f"  nasim's default: goal (<= {100 * GOAL_CAPACITY:g} %, <= {GOAL_VOLTAGE_MV:g} mV,"
              f" <= {GOAL_RATIO:g}x CPU) {'met' if r['met'] else 'NOT met'}", flush=True)
    print(f"medians of {args.repeats} interleaved repeats; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
