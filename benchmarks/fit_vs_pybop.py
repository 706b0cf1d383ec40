"""nasim fit vs PyBOP on the same synthetic 3-parameter problem (SPMe, HEO half cell).

Problem: the HEO || Na half cell (parameter_sets/cells/heo_half.yaml with a constant cathode
diffusivity, as in tests/test_fit.py), PyBaMM's SPMe; the cathode diffusivity, the cathode rate
constant and a contact resistance generate two constant-current discharges from the charged
state (0.5C and 3C); 60 voltages per discharge, at times up to 90 % of each discharge, with 5 mV
Gaussian noise, are the data. Both tools start from the same perturbed values (x3.3, x5, x0.25
of the truth), D and k on a log scale:

- nasim: ``nasim.fit`` (least squares with IDAKLU sensitivities), one start;
- PyBOP 26.3: the same PyBaMM SPMe with the same parameter values (nasim's
  ``to_parameter_values`` with the three as inputs), CMA-ES (PyBOP's default for this kind of
  fit), sum of squared errors over both curves, in PyBOP's own venv (it pins numpy < 2.4).

The final costs are compared on one evaluator (nasim's residuals at each tool's optimum, as the
sum of squared voltage errors in V^2), so "equal or lower cost" is checked on the same footing.

    /work/venv/bin/python benchmarks/fit_vs_pybop.py [--pybop-python /work/pybop-venv/bin/python]

The script re-runs itself under the PyBOP interpreter for the PyBOP half (``--pybop DIR``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CELL = ROOT / "parameter_sets" / "cells" / "heo_half.yaml"
SYNTHETIC_CELL = "heo_half.yaml"  # the copy with a constant diffusivity, in the data directory
NAMES = ["cathode.diffusivity", "cathode.rate_constant", "contact_resistance"]
TRUTH = [3e-15, 2e-11, 2e-3]  # m2/s, m/s, Ohm m2 (20 Ohm cm2)
START = [1e-14, 1e-10, 5e-4]
BOUNDS = [(1e-16, 1e-12), (1e-13, 1e-8), (0.0, 1e-2)]
RATES = [0.5, 3.0]
SIGMA_V = 0.005

PROTOCOL = """kind: protocol
name: benchmark discharges
cell: heo_half.yaml
model: SPMe
initial_state: charged
source: synthetic data of benchmarks/fit_vs_pybop.py
steps:
  - rate_test:
      label: rate
      rates: [0.5 C, 3 C]
      step: {direction: discharge}
"""


def fit_yaml(d: Path) -> str:
    curves = "\n".join(
        f"      - {{step: rate {r:g} C, file: rate_{i}.csv, x_column: time_s, x_unit: s, "
        f"voltage_column: voltage_V, sigma_V: {SIGMA_V}}}" for i, r in enumerate(RATES))
    return f"""kind: fit
name: benchmark
cell: {d / SYNTHETIC_CELL}
model: SPMe
parameters:
  - {{path: {NAMES[0]}, initial: {START[0]}, bounds: {list(BOUNDS[0])}, scale: log}}
  - {{path: {NAMES[1]}, initial: {START[1]}, bounds: {list(BOUNDS[1])}, scale: log}}
  - {{path: {NAMES[2]}, initial: {START[2]}, bounds: {list(BOUNDS[2])}}}
data:
  - protocol: {d / 'protocol.yaml'}
    curves:
{curves}
options: {{starts: 1, max_evaluations: 40}}
"""


def make_data(d: Path) -> None:
    """Two noisy discharges at the true values (nasim's engine, same SPMe)."""
    import yaml

    from nasim.protocols import load_protocol
    from nasim.simulate.engine import CellRunner

    materials = ROOT / "parameter_sets" / "materials"
    heo = yaml.safe_load((materials / "heo.yaml").read_text())
    del heo["diffusivity"]["stoichiometry_factor"]
    (d / "heo.yaml").write_text(yaml.safe_dump(heo, sort_keys=False))
    cell = yaml.safe_load(CELL.read_text())
    cell["cathode"]["material"] = "heo.yaml"
    cell["counter_electrode"]["material"] = str(materials / "na_metal.yaml")
    cell["electrolyte"] = str(ROOT / "parameter_sets" / "electrolytes" / "napf6_ecpc.yaml")
    (d / SYNTHETIC_CELL).write_text(yaml.safe_dump(cell, sort_keys=False))
    (d / "protocol.yaml").write_text(PROTOCOL)
    protocol = load_protocol(d / "protocol.yaml")
    runner = CellRunner(protocol.cell, "SPMe", initial_soc=1.0,
                        inputs=dict(zip(NAMES, TRUTH, strict=True)))
    rng = np.random.default_rng(0)
    meta = []
    for i, step in enumerate(protocol.plan("SPMe").items[0].rate_steps):
        t_end = float(runner.run(step, None).frame.time_s.iloc[-1])
        t = np.linspace(0.0, 0.9 * t_end, 60)
        v = runner.run(step, None, times=t).frame.set_index("time_s").voltage_V
        v = np.interp(t, v.index.to_numpy(), v.to_numpy()) + rng.normal(0, SIGMA_V, len(t))
        np.savetxt(d / f"rate_{i}.csv", np.column_stack([t, v]), delimiter=",",
                   header="time_s,voltage_V", comments="")
        meta.append({"current_A": abs(step.current_A), "file": f"rate_{i}.csv"})
    (d / "meta.json").write_text(json.dumps(meta))
    (d / "fit.yaml").write_text(fit_yaml(d))


def sse_V2(d: Path, values: list[float]) -> float:
    """Sum of squared voltage errors [V^2] of both curves at ``values`` (nasim's evaluator)."""
    from nasim.fit import load_fit
    from nasim.fit.problem import FitProblem

    problem = FitProblem(load_fit(d / "fit.yaml"), sensitivities=False)
    r = problem.evaluate(np.asarray(values, dtype=float)).residuals * SIGMA_V
    return float(r @ r)


def run_nasim(d: Path) -> dict:
    import nasim

    tic = time.perf_counter()
    result = nasim.fit(d / "fit.yaml")
    wall = time.perf_counter() - tic
    values = [result.values[n] for n in NAMES]
    return {"wall_time_s": wall, "values": values, "n_evaluations": result.optimum.n_evaluations}


def run_pybop(d: Path) -> dict:
    """The PyBOP half (runs under PyBOP's interpreter)."""
    import pybamm
    import pybop

    from nasim.params.loading import load_cell
    from nasim.physics import set_initial_state
    from nasim.physics.values import to_parameter_values

    cell = load_cell(d / SYNTHETIC_CELL)
    meta = json.loads((d / "meta.json").read_text())
    tic = time.perf_counter()
    problems = []
    for m in meta:
        values = to_parameter_values(cell, inputs=NAMES)
        set_initial_state(cell, values, 1.0)
        for name, x0, (lo, hi) in zip(NAMES, START, BOUNDS, strict=True):
            # PyBOP's CMA-ES starts at a parameter's distribution mean (the bounds' midpoint
            # when it has bounds and no distribution; it takes one or the other): a Gaussian at
            # the common start, +-50 % for D and k (searched in log space), +-10 % of nasim's
            # range for R. The bounds are not active at the optimum.
            spread = 0.5 * x0 if lo > 0 else 0.1 * (hi - lo)
            values[name] = pybop.Parameter(
                distribution=pybop.Gaussian(x0, spread), initial_value=x0,
                transformation=(pybop.LogTransformation() if lo > 0 else None))
        values["Current function [A]"] = m["current_A"]
        data = np.loadtxt(d / m["file"], delimiter=",", skiprows=1)
        dataset = pybop.Dataset({"Time [s]": data[:, 0], "Voltage [V]": data[:, 1],
                                 "Current [A]": np.full(len(data), m["current_A"])})
        model = pybamm.lithium_ion.SPMe({"working electrode": "positive",
                                         "contact resistance": "true"})
        simulator = pybop.pybamm.Simulator(model, parameter_values=values, protocol=dataset)
        problems.append(pybop.Problem(simulator, pybop.SumSquaredError(dataset)))
    problem = pybop.MetaProblem(*problems)
    # PyBOP's defaults stop once the best cost has improved by < 1 % for 15 iterations, which
    # here ends far from the optimum (SSE ~0.02 V^2 vs the noise's 0.003): converge instead
    optim = pybop.CMAES(problem, options=pybop.PintsOptions(
        max_iterations=1000, max_unchanged_iterations=50, relative_tolerance=1e-6,
        absolute_tolerance=1e-9))
    result = optim.run()
    wall = time.perf_counter() - tic
    x = np.asarray(result.x, dtype=float)
    return {"wall_time_s": wall, "values": x.tolist(),
            "n_evaluations": int(getattr(result, "n_evaluations", -1) or -1),
            "pybop_cost": float(np.asarray(result.best_cost).ravel()[0])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pybop", help="(internal) run the PyBOP half on this data directory")
    parser.add_argument("--pybop-python", default="/work/pybop-venv/bin/python")
    args = parser.parse_args()
    if args.pybop:
        print(json.dumps(run_pybop(Path(args.pybop))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        make_data(d)
        ours = run_nasim(d)
        out = subprocess.run([args.pybop_python, __file__, "--pybop", str(d)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"the PyBOP run failed:\n{out.stderr[-3000:]}")
        theirs = json.loads(out.stdout.strip().splitlines()[-1])
        for r in (ours, theirs):
            r["sse_V2"] = sse_V2(d, r["values"])
        truth_sse = sse_V2(d, TRUTH)
    print(f"truth                 SSE {truth_sse:.5g} V^2 (the noise)")
    for name, r in (("nasim (least squares)", ours), ("PyBOP CMA-ES", theirs)):
        rel = ", ".join(f"{v / t:.3f}" for v, t in zip(r["values"], TRUTH, strict=True))
        print(f"{name:<22s} wall {r['wall_time_s']:7.1f} s, SSE {r['sse_V2']:.5g} V^2, "
              f"{r['n_evaluations']} evaluations, values / truth: {rel}")
    print(f"speed-up (PyBOP time / nasim time): {theirs['wall_time_s'] / ours['wall_time_s']:.1f}x;"
          f" cost ratio (nasim / PyBOP): {ours['sse_V2'] / theirs['sse_V2']:.3f}")


if __name__ == "__main__":
    main()
