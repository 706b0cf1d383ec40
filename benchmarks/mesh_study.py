"""Mesh candidates for a cell's DFN at its highest rate: accuracy against a fine reference
mesh and against each candidate's 2x mesh, states and solve time (benchmarks/README.md).

    python benchmarks/mesh_study.py parameter_sets/cells/heo_half.yaml --c-rate 20
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from nasim import load_cell, simulate  # noqa: E402
from nasim.simulate.mesh import DOMAIN_KEYS, Mesh  # noqa: E402


def candidates() -> dict[str, Mesh]:
    out = {f"uniform {n}": Mesh.uniform(n) for n in (10, 20, 30, 40)}
    for x, r, stretch in ((8, 6, 1.5), (10, 6, 1.5), (10, 8, 1.5), (12, 8, 1.5),
                          (10, 8, 2.0), (15, 10, 1.5), (12, 6, 2.0)):
        pts = {"x_n": x, "x_s": x, "x_p": x, "r_n": r, "r_p": r}
        out[f"x {x}, r {r} exponential {stretch}"] = Mesh(pts, "exponential", stretch)
    return out


def run(cell, c_rate, mesh, temperature_C=None, repeats=2):
    times, result = [], None
    for _ in range(repeats):
        tic = time.perf_counter()
        result = simulate(cell, model="DFN", c_rate=c_rate, mesh_points=mesh,
                          temperature_C=temperature_C)
        times.append(time.perf_counter() - tic)
    ts = result.timeseries
    return result, ts.capacity_mAh_per_g.to_numpy(), ts.voltage_V.to_numpy(), min(times)


def compare(q, v, q_ref, v_ref):
    grid = np.linspace(0.0, min(q[-1], q_ref[-1]), 400)
    dv = np.interp(grid, q, v) - np.interp(grid, q_ref, v_ref)
    return abs(q[-1] - q_ref[-1]) / q_ref[-1], float(np.sqrt(np.mean(dv**2)) * 1e3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cell")
    ap.add_argument("--c-rate", type=float, default=20)
    ap.add_argument("--temperature-C", type=float)
    ap.add_argument("--reference", type=int, default=80)
    ap.add_argument("--out")
    args = ap.parse_args()
    cell = load_cell(args.cell)
    ref, q_ref, v_ref, t_ref = run(cell, args.c_rate, Mesh.uniform(args.reference),
                                   args.temperature_C, repeats=1)
    rows = []
    for name, mesh in candidates().items():
        res, q, v, wall = run(cell, args.c_rate, mesh, args.temperature_C)
        _, q2, v2, _ = run(cell, args.c_rate, mesh.refined(2), args.temperature_C, repeats=1)
        dq_ref, dv_ref = compare(q, v, q_ref, v_ref)
        dq_2x, dv_2x = compare(q, v, q2, v2)
        rows.append({"mesh": name, "states": res.n_states, "solve_s": res.solve_time_s,
                     "wall_s": wall, "capacity": q[-1],
                     "median_V": res.metrics["median_voltage_V"],
                     "cap_rel_vs_ref": dq_ref, "V_rms_mV_vs_ref": dv_ref,
                     "cap_rel_vs_2x": dq_2x, "V_rms_mV_vs_2x": dv_2x})
        print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    frame.attrs["reference"] = f"uniform {args.reference}: {q_ref[-1]:.3f} mAh/g"
    print(f"reference uniform {args.reference}: {q_ref[-1]:.3f} mAh/g, states "
          f"{ref.n_states}, {t_ref:.2f} s")
    print(frame.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    if args.out:
        frame.to_csv(args.out, index=False)
    _ = DOMAIN_KEYS


if __name__ == "__main__":
    main()
