"""nasim.simulate vs plain PyBaMM on the same problem, in one process.

Both build a DFN half cell from scratch and solve one 1C discharge of heo_half.yaml to the cut-off
with IDAKLU; the plain-PyBaMM baseline gets nasim's ParameterValues (already converted) and its
initial state, so the ratio is nasim's own overhead (loading YAML + CSV, validation, conversion,
initial-state root search, failure checks, output table). Prints medians and the ratio.

``--per-solve``: the repeat solve on a model built once on both sides, interleaved: nasim's
``CellRunner.run`` of the 1C discharge (solve to the cut-off, end check, output table of time,
current, voltage, capacity and minimum electrolyte concentration) vs plain PyBaMM's
``Simulation.solve`` of the same discharge on the same output times, reading voltage and
discharge capacity. The load average is printed with the result.

    python benchmarks/simulate_overhead.py [--repeats 5] [--model DFN] [--per-solve]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")

import numpy as np  # noqa: E402
import pybamm  # noqa: E402

import nasim  # noqa: E402
from nasim.physics import set_initial_state  # noqa: E402
from nasim.physics.models import MODEL_CLASSES, model_options  # noqa: E402
from nasim.physics.values import to_parameter_values  # noqa: E402
from nasim.simulate.mesh import Mesh  # noqa: E402
from nasim.simulate.tolerances import default_tolerances  # noqa: E402

CELL = Path(__file__).resolve().parents[1] / "parameter_sets" / "cells" / "heo_half.yaml"


def plain_simulation(loaded, values: pybamm.ParameterValues, model_name: str
                     ) -> pybamm.Simulation:
    """Plain PyBaMM's simulation of the model nasim solves: the same options (the cell's
    contact resistance) on the cell file's mesh, IDAKLU at nasim's default relative tolerance of
    the model (PyBaMM's 1e-4; the SPM's 1e-5: :func:`nasim.simulate.tolerances.default_tolerances`),
    so that SPM and SPMe do the same work on both sides (the DFN's potentials keep PyBaMM's atol
    here, nasim's is looser: :func:`nasim.simulate.tolerances.state_atol`)."""
    options = model_options(loaded.configuration)
    if loaded.cell.contact_resistance is not None:
        options["contact resistance"] = "true"
    model = MODEL_CLASSES[model_name](options)
    solver = pybamm.IDAKLUSolver(**default_tolerances(model_name, "isothermal"))
    return pybamm.Simulation(model, parameter_values=values, solver=solver,
                             **Mesh.of_cell(loaded, model_name).simulation_kwargs(model))


def plain_pybamm(loaded, values: pybamm.ParameterValues, model_name: str, t_end: float
                 ) -> float:
    sim = plain_simulation(loaded, values, model_name)
    sol = sim.solve([0.0, t_end], t_interp=np.linspace(0.0, t_end, 1200))
    return float(sol["Voltage [V]"].entries[-1])


def per_solve(loaded, values: pybamm.ParameterValues, model_name: str, repeats: int) -> None:
    from nasim.simulate.engine import CellRunner, constant_current_step, output_times

    current = loaded.current_A(c_rate=1.0)
    step = constant_current_step(loaded, "discharge", current,
                                 loaded.cell.ambient_temperature.si)
    runner = CellRunner(loaded, model_name, initial_soc=1.0)
    values = values.copy()
    values["Current function [A]"] = current
    values["Lower voltage cut-off [V]"] = step.lower_voltage_V
    values["Ambient temperature [K]"] = step.temperature_K
    sim = plain_simulation(loaded, values, model_name)
    t_interp = output_times(step.duration_s, 300, 100)

    def plain() -> tuple[float, float]:
        sol = sim.solve([0.0, step.duration_s], t_interp=t_interp)
        v = sol["Voltage [V]"].entries
        q = sol["Discharge capacity [A.h]"].entries
        return float(v[-1]), float(q[-1]) * 1e3  # mAh

    def ours() -> tuple[float, float]:
        solved = runner.run(step, None)
        return float(solved.frame.voltage_V.iloc[-1]), float(solved.frame.capacity_mAh.iloc[-1])

    for f in (plain, ours):  # build, set up, first solve
        f()
    # wall and CPU time of this process (both single-threaded here): on a shared machine the
    # CPU time is the steadier figure
    times = {(side, clock): [] for side in ("nasim", "plain") for clock in ("wall", "cpu")}
    for _ in range(repeats):
        for name, f in (("nasim", ours), ("plain", plain)):
            tic, cpu = time.perf_counter(), time.process_time()
            f()
            times[name, "cpu"].append(time.process_time() - cpu)
            times[name, "wall"].append(time.perf_counter() - tic)
    med = {k: 1e3 * statistics.median(v) for k, v in times.items()}
    ends = {name: f() for name, f in (("nasim", ours), ("plain", plain))}
    print(f"model {model_name}, repeat solve of a 1C discharge of {CELL.name} on a model built "
          f"once, medians of {repeats}, load average {os.getloadavg()[0]:.2f}; end voltage and "
          f"capacity: nasim {ends['nasim'][0]:.4f} V {ends['nasim'][1]:.6g} mAh, plain "
          f"{ends['plain'][0]:.4f} V {ends['plain'][1]:.6g} mAh")
    for clock in ("wall", "cpu"):
        print(f"{clock:4s}: nasim CellRunner.run (solve + end check + output table) "
              f"{med['nasim', clock]:.1f} ms, plain PyBaMM Simulation.solve + voltage + "
              f"capacity {med['plain', clock]:.1f} ms, ratio nasim / plain "
              f"{med['nasim', clock] / med['plain', clock]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--model", default="DFN")
    parser.add_argument("--per-solve", action="store_true")
    args = parser.parse_args()

    loaded = nasim.load_cell(CELL)
    values = to_parameter_values(loaded)
    set_initial_state(loaded, values, 1.0)
    current = loaded.current_A(c_rate=1.0)
    if args.per_solve:
        per_solve(loaded, values, args.model, args.repeats)
        return
    values["Current function [A]"] = current
    t_end = 3600.0 * 1.5 * loaded.design.window_capacity_Ah / current + 600.0

    nasim_s, plain_s = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        nasim.simulate(CELL, model=args.model, c_rate=1.0)
        nasim_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        plain_pybamm(loaded, values, args.model, t_end)
        plain_s.append(time.perf_counter() - t0)
    n, p = statistics.median(nasim_s), statistics.median(plain_s)
    print(f"model {args.model}, 1C discharge of {CELL.name}, median of {args.repeats}")
    print(f"nasim.simulate (load + validate + convert + solve): {n:.3f} s")
    print(f"plain PyBaMM (prepared ParameterValues, build + solve): {p:.3f} s")
    print(f"ratio nasim / plain PyBaMM: {n / p:.2f}")


if __name__ == "__main__":
    main()
