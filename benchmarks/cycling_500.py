"""500 aging cycles: nasim.replay of experiments/heo_half_cycling_10C.yaml vs a plain PyBaMM
Experiment of the same cycles, in one process.

nasim: the protocol file (SPMe, aging phase_strain + dissolution, CC-CV 10C charge (CV at
4.2 V to C/5) and CC 10C discharge, 500 cycles, every cycle solved: ``accelerate=False``, no
cycle jumping), with per-step metrics and end checks.
Plain PyBaMM: the same aged SPMe model (nasim's phase-transition damage and dissolution
submodels and parameter values, the cell's contact resistance, the cell file's mesh) as
``pybamm.Experiment([(charge, hold, discharge)] * N)`` with N the number of cycles nasim ran
(500), built once and solved once: both sides build one model and
solve every cycle, nothing is scaled. Capacities of every cycle are compared. Both sides
give the same outputs inside their clocks: on the nasim side loading the protocol and cell
files, building, solving and its step table (metrics of every charge and discharge, aging
state at the end of every step); on the plain side building, solving and the same step table
from PyBaMM's processed variables of every step (its parameter values are prepared before the
clock starts). The ratio without the plain side's step table (capacities only, read from the
last discharge state) is printed too. Imports are outside both clocks. The load average is
printed with the result.

    python benchmarks/cycling_500.py [--baseline-cycles N]  (a shorter plain run, scaled; debugging)
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")

import numpy as np  # noqa: E402
import pybamm  # noqa: E402

import nasim  # noqa: E402
from nasim.analysis.metrics import step_metrics  # noqa: E402
from nasim.physics import set_initial_state  # noqa: E402
from nasim.physics.aging import aging_parameter_values, build_aging_model  # noqa: E402
from nasim.physics.models import MODEL_CLASSES, model_options  # noqa: E402
from nasim.physics.values import to_parameter_values  # noqa: E402
from nasim.simulate.mesh import Mesh  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = ROOT / "experiments" / "heo_half_cycling_10C.yaml"
MECHANISMS = ("phase_strain", "dissolution")
AGED = "X-averaged positive electrode active material volume fraction"


def plain_pybamm(cycles: int):
    loaded = nasim.load_cell(ROOT / "parameter_sets" / "cells" / "heo_half.yaml")
    values = to_parameter_values(loaded)
    values.update(aging_parameter_values(loaded, MECHANISMS), check_already_exists=False)
    set_initial_state(loaded, values, 0.0)
    current = loaded.current_A(c_rate=10.0)
    tic, cpu = time.perf_counter(), time.process_time()
    options = model_options("half")
    if loaded.cell.contact_resistance is not None:  # the model nasim solves
        options["contact resistance"] = "true"
    model = build_aging_model(MODEL_CLASSES["SPMe"], options, MECHANISMS,
                              "plain SPMe with aging")
    hold_end = current / 50  # C/5: the protocol's CV end (issue 15's CC-CV 10C charge)
    experiment = pybamm.Experiment([(f"Charge at {current:.10g} A until 4.2 V",
                                     f"Hold at 4.2 V until {hold_end:.10g} A",
                                     f"Discharge at {current:.10g} A until 2.0 V")] * cycles)
    sim = pybamm.Simulation(model, parameter_values=values, experiment=experiment,
                            solver=pybamm.IDAKLUSolver(),
                            **Mesh.of_cell(loaded, "SPMe").simulation_kwargs(model))
    sol = sim.solve()
    solved = (time.perf_counter() - tic, time.process_time() - cpu)
    step_table(sol, loaded)
    elapsed = (time.perf_counter() - tic, time.process_time() - cpu)
    mass_g = loaded.design.cathode_active_mass_kg * 1e3
    caps = []
    for cycle in sol.cycles:
        q = cycle.steps[-1]["Discharge capacity [A.h]"].entries
        caps.append((q[-1] - q[0]) * 1e3 / mass_g)
    return elapsed, solved, np.array(caps)


def step_table(sol: pybamm.Solution, loaded) -> list:
    """The outputs nasim's step table has, from plain PyBaMM's solution: every charge's and
    discharge's metrics from its time, current and voltage (PyBaMM's processed variables) and
    every step's active-material fraction at its end."""
    rows = []
    for cycle in sol.cycles:
        for step in cycle.steps:
            if step is not cycle.steps[1]:  # the CV hold's row has no voltage metrics
                rows.append(step_metrics({"time_s": step["Time [s]"].entries,
                                          "current_A": step["Current [A]"].entries,
                                          "voltage_V": step["Voltage [V]"].entries},
                                         loaded.design.cathode_active_mass_kg))
            rows.append(step[AGED].entries[-1])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline-cycles", type=int, default=None)
    args = parser.parse_args()

    replay = nasim.replay  # nasim's lazy import of its solving modules, like `import pybamm`
    tic, cpu = time.perf_counter(), time.process_time()
    result = replay(PROTOCOL, accelerate=False, aging=MECHANISMS)
    nasim_t, nasim_cpu = time.perf_counter() - tic, time.process_time() - cpu
    dis = result.summary[result.summary.direction == "discharge"]
    caps = dis.capacity_mAh_per_g.to_numpy()

    (plain_t, plain_cpu), (solve_t, solve_cpu), plain_caps = plain_pybamm(
        args.baseline_cycles or len(caps))
    n = len(plain_caps)
    scale = len(caps) / n
    print(f"nasim.replay, {len(caps)} cycles (SPMe, aging {'+'.join(MECHANISMS)}): "
          f"{nasim_t:.1f} s (CPU {nasim_cpu:.1f} s), retention at the last cycle "
          f"{dis.retention.iloc[-1]:.4f}, "
          f"{len(result.failed)} failed steps")
    print(f"plain PyBaMM Experiment, {n} cycles, with the same step table: {plain_t:.1f} s "
          f"(CPU {plain_cpu:.1f} s); built and solved only: {solve_t:.1f} s (CPU {solve_cpu:.1f} s)"
          + (f"; scaled to {len(caps)} cycles" if n != len(caps) else ""))
    print(f"ratio nasim / plain (same outputs): {nasim_t / (plain_t * scale):.3f} wall, "
          f"{nasim_cpu / (plain_cpu * scale):.3f} CPU; against plain PyBaMM without the step "
          f"table (capacities only): {nasim_t / (solve_t * scale):.3f} wall, "
          f"{nasim_cpu / (solve_cpu * scale):.3f} CPU; load average {os.getloadavg()[0]:.2f}")
    diff = np.abs(caps[:n] - plain_caps) / plain_caps
    print(f"discharge capacities over the first {n} cycles: relative difference median "
          f"{np.median(diff):.2e}, max {diff.max():.2e} (cycle {diff.argmax() + 1}), "
          f"{np.sum(diff > 1e-3)} cycles above 1e-3")


if __name__ == "__main__":
    main()
