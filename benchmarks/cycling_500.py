"""500 aging cycles: nasim.replay of experiments/heo_half_cycling_10C.yaml vs a plain PyBaMM
Experiment of the same cycles, in one process.

nasim: the protocol file (SPMe, aging phase_strain + dissolution, CC-CV 10C charge (CV at
4.2 V to C/5) and CC 10C discharge, 500 cycles, every cycle solved: ``accelerate=False``, no
cycle jumping), with per-step metrics and end checks.
Plain PyBaMM: the same aged SPMe model (nasim's phase-transition damage and dissolution
submodels and parameter values, the cell's contact resistance, the cell file's mesh) as
``pybamm.Experiment([(charge, hold, discharge)] * N)`` with N the number of cycles nasim ran
(500), built once and solved once: both sides build one model and
solve every cycle, nothing is scaled. Capacities of every cycle are compared. Timed on the
nasim side: loading the protocol and cell files, building, solving and the step table; on the
plain side: building and solving (its parameter values are prepared before the clock starts).
Imports are outside both clocks. After the plain clock, the CPU time plain PyBaMM takes to give
the outputs of nasim's step table (PyBaMM's processed variables of every step) is printed
too. The load average is printed with the result.

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
    elapsed = (time.perf_counter() - tic, time.process_time() - cpu)
    mass_g = loaded.design.cathode_active_mass_kg * 1e3
    caps = []
    for cycle in sol.cycles:
        q = cycle.steps[-1]["Discharge capacity [A.h]"].entries
        caps.append((q[-1] - q[0]) * 1e3 / mass_g)
    return elapsed, np.array(caps), step_table_cpu(sol, loaded)


def step_table_cpu(sol: pybamm.Solution, loaded) -> float:
    """CPU time [s] for plain PyBaMM to give the outputs nasim's step table has: every
    charge's and discharge's metrics from its time, current and voltage (PyBaMM's processed
    variables) and every step's active-material fraction at its end."""
    cpu = time.process_time()
    for cycle in sol.cycles:
        for step in cycle.steps:
            if step is not cycle.steps[1]:  # the CV hold's row has no voltage metrics
                step_metrics({"time_s": step["Time [s]"].entries,
                              "current_A": step["Current [A]"].entries,
                              "voltage_V": step["Voltage [V]"].entries},
                             loaded.design.cathode_active_mass_kg)
            step[AGED].entries[-1]
    return time.process_time() - cpu


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

    (plain_t, plain_cpu), plain_caps, table_cpu = plain_pybamm(args.baseline_cycles or len(caps))
    n = len(plain_caps)
    scaled, scaled_cpu = plain_t * len(caps) / n, plain_cpu * len(caps) / n
    print(f"nasim.replay, {len(caps)} cycles (SPMe, aging {'+'.join(MECHANISMS)}): "
          f"{nasim_t:.1f} s (CPU {nasim_cpu:.1f} s), retention at the last cycle "
          f"{dis.retention.iloc[-1]:.4f}, "
          f"{len(result.failed)} failed steps")
    print(f"plain PyBaMM Experiment, {n} cycles: {plain_t:.1f} s (CPU {plain_cpu:.1f} s)"
          + (f" -> {scaled:.1f} s for {len(caps)} cycles (scaled)" if n != len(caps) else ""))
    print(f"ratio nasim / plain: {nasim_t / scaled:.3f} wall, {nasim_cpu / scaled_cpu:.3f} CPU; "
          f"load average "
          f"{os.getloadavg()[0]:.2f}")
    print(f"plain PyBaMM's reading of the outputs of nasim's step table (metrics of every charge "
          f"and discharge, aging state of every step), after the clock: CPU {table_cpu:.1f} s; "
          f"ratio with it {nasim_cpu / (plain_cpu + table_cpu):.3f} CPU")
    diff = np.abs(caps[:n] - plain_caps) / plain_caps
    print(f"discharge capacities over the first {n} cycles: relative difference median "
          f"{np.median(diff):.2e}, max {diff.max():.2e} (cycle {diff.argmax() + 1}), "
          f"{np.sum(diff > 1e-3)} cycles above 1e-3")


if __name__ == "__main__":
    main()
