"""Mesh and method candidates for a cell's DFN: number of states, repeat-solve time and the
capacity and voltage error against an 80-point reference at each rate (the table of
benchmarks/README.md, "DFN accuracy per cost").

Each candidate's model is built once; its discharges from the charged state (25 degC) are
solved ``--repeats`` times after a first solve; CPU medians (``time.process_time``) are
printed with the wall medians and the load average. The reference is 80 uniform points per
domain and particle at rtol 1e-6 (see ``dfn_accuracy_speed.py``); errors as in
:func:`nasim.simulate.mesh.compare_curves`. ``--compiled`` adds the cell file's mesh with
IDAKLU's compiled mode (gcc; the first build compiles, later ones load the cached library).

    python benchmarks/mesh_study.py parameter_sets/cells/heo_half.yaml --rates 1 20
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")

import pandas as pd  # noqa: E402
from dfn_accuracy_speed import (  # noqa: E402
    discharge,
    nasim_curve,
    reference_curve,
    time_interleaved,
)

from nasim import load_cell  # noqa: E402
from nasim.simulate.engine import CellRunner  # noqa: E402
from nasim.simulate.mesh import Mesh, compare_curves  # noqa: E402


def _mesh(x_n: int, x_s: int, x_p: int, r_n: int, r_p: int, particle: str = "exponential",
          stretch: float = 2.0) -> Mesh:
    return Mesh({"x_n": x_n, "x_s": x_s, "x_p": x_p, "r_n": r_n, "r_p": r_p}, particle,
                stretch)


#: candidates (label -> mesh) by cell configuration, besides PyBaMM's default and the cell's
HALF = {
    "session 4: x 20, r 25 exponential 3": _mesh(20, 20, 20, 25, 25, stretch=3.0),
    "x_s 10, x_p 10, r 12 exp. 1.5": _mesh(5, 10, 10, 12, 12, stretch=1.5),
    "x_s 24, x_p 6, r 20 exp. 1.5": _mesh(5, 24, 6, 20, 20, stretch=1.5),
    "x_s 24, x_p 6, r 20 exp. 2": _mesh(5, 24, 6, 20, 20),
    "x_s 24, x_p 6, r 20 exp. 2.5": _mesh(5, 24, 6, 20, 20, stretch=2.5),
    "x_s 20, x_p 6, r 16 exp. 2": _mesh(5, 20, 6, 16, 16),
    "x_s 40, x_p 20, r 12 exp. 3": _mesh(20, 40, 20, 12, 12, stretch=3.0),
}
FULL = {
    "session 4: x 20, r 25 exponential 3": _mesh(20, 20, 20, 25, 25, stretch=3.0),
    "x 10/5/10, r 20 exp. 1.5": _mesh(10, 5, 10, 20, 20, stretch=1.5),
    "x 4/3/4, r_n 16, r_p 10 exp. 1.5": _mesh(4, 3, 4, 16, 10, stretch=1.5),
    "x 4/3/4, r_n 20, r_p 12 exp. 1.5": _mesh(4, 3, 4, 20, 12, stretch=1.5),
    "x 4/3/4, r_n 20, r_p 10 exp. 2": _mesh(4, 3, 4, 20, 10),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("cell")
    ap.add_argument("--rates", type=float, nargs="+", default=[1.0, 20.0])
    ap.add_argument("--reference", type=int, default=80)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--compiled", action="store_true")
    ap.add_argument("--out", help="CSV of the table")
    args = ap.parse_args()
    cell = load_cell(args.cell)
    steps = {rate: discharge(cell, rate) for rate in args.rates}
    refs = {rate: reference_curve(cell, rate, args.reference) for rate in args.rates}
    candidates = {"PyBaMM default: 20 uniform": (Mesh.uniform(20), False),
                  "cell file": (Mesh.of_cell(cell), False),
                  **{k: (m, False) for k, m in
                     (HALF if cell.configuration == "half" else FULL).items()}}
    if args.compiled:
        candidates["cell file, compiled"] = (Mesh.of_cell(cell), True)
    rows = []
    for label, (mesh, compiled) in candidates.items():
        runner = CellRunner(cell, "DFN", initial_soc=1.0, mesh_points=mesh, compiled=compiled)
        row = {"mesh": label}
        for rate, step in steps.items():
            q, v = nasim_curve(runner, step)
            times = time_interleaved({"run": lambda r=runner, s=step: r.run(s, None)},
                                     args.repeats)
            dq, dv = compare_curves(q, v, *refs[rate])
            row.update({f"{rate:g}C capacity %": 100 * dq, f"{rate:g}C V rms mV": dv,
                        f"{rate:g}C CPU ms": times["run", "cpu"],
                        f"{rate:g}C wall ms": times["run", "wall"]})
        row["states"] = runner.n_states
        rows.append(row)
        print(row, f"load {os.getloadavg()[0]:.2f}", flush=True)
    frame = pd.DataFrame(rows)
    print(f"reference: {args.reference} uniform points, rtol 1e-6; "
          + ", ".join(f"{r:g}C {q[-1]:.5f} mAh" for r, (q, _) in refs.items()))
    print(frame.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.out:
        frame.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
