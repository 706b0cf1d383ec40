"""nasim.simulate vs plain PyBaMM on the same problem, in one process.

Both build a DFN half cell from scratch and solve one 1C discharge of heo_half.yaml to the cut-off
with IDAKLU; the plain-PyBaMM baseline gets nasim's ParameterValues (already converted) and its
initial state, so the ratio is nasim's own overhead (loading YAML + CSV, validation, conversion,
initial-state root search, failure checks, output table). Prints medians and the ratio.

    python benchmarks/simulate_overhead.py [--repeats 5] [--model DFN]
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
from nasim.physics import build_model, set_initial_state  # noqa: E402
from nasim.physics.values import to_parameter_values  # noqa: E402

CELL = Path(__file__).resolve().parents[1] / "parameter_sets" / "cells" / "heo_half.yaml"


def plain_pybamm(values: pybamm.ParameterValues, model_name: str, t_end: float) -> float:
    sim = pybamm.Simulation(build_model(model_name, "half"), parameter_values=values,
                            solver=pybamm.IDAKLUSolver())
    sol = sim.solve([0.0, t_end], t_interp=np.linspace(0.0, t_end, 1200))
    return float(sol["Voltage [V]"].entries[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--model", default="DFN")
    args = parser.parse_args()

    loaded = nasim.load_cell(CELL)
    values = to_parameter_values(loaded)
    set_initial_state(loaded, values, 1.0)
    current = 1.0 * 0.150 * loaded.design.cathode_active_mass_kg * 1e3  # 1C = 150 mA/g
    values["Current function [A]"] = current
    t_end = 3600.0 * 1.5 * loaded.design.window_capacity_Ah / current + 600.0

    nasim_s, plain_s = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        nasim.simulate(CELL, model=args.model, c_rate=1.0)
        nasim_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        plain_pybamm(values, args.model, t_end)
        plain_s.append(time.perf_counter() - t0)
    n, p = statistics.median(nasim_s), statistics.median(plain_s)
    print(f"model {args.model}, 1C discharge of {CELL.name}, median of {args.repeats}")
    print(f"nasim.simulate (load + validate + convert + solve): {n:.3f} s")
    print(f"plain PyBaMM (prepared ParameterValues, build + solve): {p:.3f} s")
    print(f"ratio nasim / plain PyBaMM: {n / p:.2f}")


if __name__ == "__main__":
    main()
