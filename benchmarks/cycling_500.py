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
Imports are outside both clocks. The load average is printed with the result.

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
from nasim.physics import set_initial_state  # noqa: E402
from nasim.physics.aging import aging_parameter_values, build_aging_model  # noqa: E402
from nasim.physics.models import MODEL_CLASSES, model_options  # noqa: E402
from nasim.physics.values import to_parameter_values  # noqa: E402
from nasim.simulate.mesh import Mesh  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = ROOT / "experiments" / "heo_half_cycling_10C.yaml"
MECHANISMS = ("phase_strain", "dissolution")


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
                            **Mesh.of_cell(loaded).simulation_kwargs(model))
    sol = sim.solve()
    elapsed = (time.perf_counter() - tic, time.process_time() - cpu)
    mass_g = loaded.design.cathode_active_mass_kg * 1e3
    caps = []
    for cycle in sol.cycles:
        q = cycle.steps[-1]["Discharge capacity [A.h]"].entries
        caps.append((q[-1] - q[0]) * 1e3 / mass_g)
    return elapsed, np.array(caps)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline-cycles", type=int, default=None)
    args = parser.parse_args()

    replay = nasim.replay  # nasim's lazy import of its solving modules, like `import pybamm`
    tic, cpu = time.perf_counter(), time.process_time()
    result = replay(PROTOCOL, accelerate=False)
    nasim_t, nasim_cpu = time.perf_counter() - tic, time.process_time() - cpu
    dis = result.summary[result.summary.direction == "discharge"]
    caps = dis.capacity_mAh_per_g.to_numpy()

    (plain_t, plain_cpu), plain_caps = plain_pybamm(args.baseline_cycles or len(caps))
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
    diff = np.abs(caps[:n] - plain_caps) / plain_caps
    print(f"discharge capacities over the first {n} cycles: relative difference median "
          f"{np.median(diff):.2e}, max {diff.max():.2e} (cycle {diff.argmax() + 1}), "
          f"{np.sum(diff > 1e-3)} cycles above 1e-3")


if __name__ == "__main__":
    main()
