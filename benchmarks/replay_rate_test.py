"""nasim.replay of experiments/heo_half_rate_25C.yaml vs the same protocol as one plain PyBaMM
Experiment, in one process.

Plain PyBaMM: ``pybamm.Experiment`` with, for each of the six rates, CC charge at 0.2C to 4.2 V,
CV at 4.2 V until C/20, 10 min rest, discharge at the rate to 2.0 V; a new ``Simulation`` per
run (rebuilt), given nasim's already-converted ParameterValues and initial state, so it pays for
neither file loading nor validation. Its discharge capacities are read per cycle and its failed
steps counted (PyBaMM only logs them).

nasim: ``nasim.replay(path)``: reads and validates the protocol and cell files, converts, builds
its one function-controlled model, runs the charge once (the file declares the rates
independent: CV to C/20 + rest erase the previous discharge) and the six discharges from that
state as one list of inputs, checks every ending, and builds the result tables (time series with
phase columns). ``--sequential`` times the replay with the charge before every rate instead.

    python benchmarks/replay_rate_test.py [--repeats 5] [--model DFN] [--sequential]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")

import pybamm  # noqa: E402

import nasim  # noqa: E402
from nasim.physics import build_model, set_initial_state  # noqa: E402
from nasim.physics.values import to_parameter_values  # noqa: E402
from nasim.simulate.replay import replay  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = ROOT / "experiments" / "heo_half_rate_25C.yaml"
RATES = (0.2, 0.5, 1.0, 5.0, 10.0, 20.0)


def plain_pybamm(values: pybamm.ParameterValues, model: str, one_c_A: float, mass_g: float):
    """Wall time, discharge capacities [mAh/g] and number of cycles completed."""
    steps = [(f"Charge at {0.2 * one_c_A:.10g} A until 4.2 V",
              f"Hold at 4.2 V until {0.05 * one_c_A:.10g} A",
              "Rest for 10 minutes",
              f"Discharge at {r * one_c_A:.10g} A until 2.0 V") for r in RATES]
    tic = time.perf_counter()
    sim = pybamm.Simulation(build_model(model, "half"), parameter_values=values,
                            experiment=pybamm.Experiment(steps), solver=pybamm.IDAKLUSolver())
    sol = sim.solve()
    capacities = []
    for cycle in sol.cycles:
        q = cycle.steps[-1]["Discharge capacity [A.h]"].entries
        capacities.append((q[-1] - q[0]) * 1e3 / mass_g)
    return time.perf_counter() - tic, capacities, len(sol.cycles)


def nasim_replay(model: str, sequential: bool):
    """Wall time of replay() (summary tables), then of assembling its full time series."""
    tic = time.perf_counter()
    result = replay(PROTOCOL, model=model, sequential=sequential)
    elapsed = time.perf_counter() - tic
    s = result.summary
    capacities = s[s.direction == "discharge"].capacity_mAh_per_g.tolist()
    tic = time.perf_counter()
    assert len(result.timeseries) > 0
    return elapsed, time.perf_counter() - tic, capacities, len(result.failed)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--model", default="DFN")
    parser.add_argument("--sequential", action="store_true")
    args = parser.parse_args()

    loaded = nasim.load_cell(ROOT / "parameter_sets" / "cells" / "heo_half.yaml")
    values = to_parameter_values(loaded)
    set_initial_state(loaded, values, 0.0)
    mass_g = loaded.design.cathode_active_mass_kg * 1e3
    one_c_A = 0.150 * mass_g  # 1C = 150 mA/g

    # warm-up of both (imports, first casadi/IDAKLU use) before timing
    plain_pybamm(values.copy(), args.model, one_c_A, mass_g)
    nasim_replay(args.model, args.sequential)

    plain_t, nasim_t, series_t = [], [], []
    for _ in range(args.repeats):
        t, plain_caps, plain_cycles = plain_pybamm(values.copy(), args.model, one_c_A, mass_g)
        plain_t.append(t)
        t, t_series, nasim_caps, failed = nasim_replay(args.model, args.sequential)
        nasim_t.append(t)
        series_t.append(t_series)
    p, n, ts = (statistics.median(plain_t), statistics.median(nasim_t),
                statistics.median(series_t))
    print(f"model {args.model}, {'sequential' if args.sequential else 'independent'} rates, "
          f"median of {args.repeats}")
    print(f"plain PyBaMM Experiment: {p:.3f} s  ({plain_cycles}/{len(RATES)} cycles completed)")
    print(f"nasim.replay:            {n:.3f} s  ({failed} failed steps)")
    print(f"ratio nasim / plain:     {n / p:.3f}")
    print(f"+ full time series (every column of every step, on first access): {ts:.3f} s; "
          f"ratio with it {(n + ts) / p:.3f}")
    print("discharge capacity [mAh/g]  rate: plain | nasim")
    for rate, a, b in zip(RATES, plain_caps, nasim_caps, strict=False):
        print(f"  {rate:5g}C: {a:8.3f} | {b:8.3f}")


if __name__ == "__main__":
    main()
