"""How close can the published electrode OCPs come to the measured curves at all?

For each measured discharge curve of the Chayambuka 2022 cell (data/chayambuka2022), fit

    V(Q) = U_NVPF(x0 + Q/Q_p) - U_HC(y0 - Q/Q_n) - eta0 - eta1 Q

with the OCP tables of the bundled material files (the published ones) and six free values:
the start stoichiometries x0, y0, the electrode capacities Q_p, Q_n (mAh) and an overpotential
that is constant plus linear in the discharged capacity. The curve's RMSE is a reference for
what any transport and kinetics on these OCPs can reach: a cell model adds overpotentials of
other shapes, but at C/20 they are small, so a C/20 RMSE far above 20 mV means that the OCP
tables, not the transport, separate the model from these measurements. A second fit adds a
smooth correction to the HC OCP (a natural cubic spline in y with 6 knots, its second
differences penalised): what a re-derived HC OCP on the published NVPF OCP could reach.

Run: python fits/chayambuka_curves_window/ocv_alignment.py   (prints a table, about 1 s)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline
from scipy.optimize import least_squares

from nasim.params.loading import load_cell
from nasim.params.quantities import FARADAY
from nasim.physics.values import evaluate_state

ROOT = Path(__file__).resolve().parents[2]
KNOTS = np.linspace(0.0, 1.0, 6)  # HC stoichiometries of the OCP correction's knots
CURVES = {"C/20": "discharge_005C.csv", "C/10": "discharge_01C.csv",
          "0.6C": "discharge_06C.csv", "1.4C": "discharge_14C.csv"}


def electrode_capacity_mAh(cell, role: str) -> float:
    return getattr(cell.design, role).sites_mol_per_m2 * cell.design.area_m2 * FARADAY / 3.6


def main() -> pd.DataFrame:
    cell = load_cell(ROOT / "parameter_sets" / "cells" / "chayambuka2022_full.yaml")
    x_grid = np.linspace(0.21, 1.0, 4001)  # the NVPF table starts at x = 0.21
    y_grid = np.linspace(0.0015, 0.9958, 4001)
    u_p = evaluate_state(cell.cathode.open_circuit_potential, "stoichiometry", x_grid)
    u_n = evaluate_state(cell.anode.open_circuit_potential, "stoichiometry", y_grid)
    init = cell.cell.initial_stoichiometry
    start = [init.cathode.si, init.anode.si, electrode_capacity_mAh(cell, "cathode"),
             electrode_capacity_mAh(cell, "anode"), 0.0, 0.0]
    lower = [0.21, 0.5, 2.0, 2.0, -0.05, -0.2]
    upper = [0.5, 0.9958, 6.0, 6.0, 0.3, 0.2]

    def voltage(z, q):
        x0, y0, q_p, q_n, eta0, eta1, *knots = z
        y = y0 - q / q_n
        correction = (CubicSpline(KNOTS, knots, bc_type="natural")(np.clip(y, 0.0, 1.0))
                      if knots else 0.0)
        return (np.interp(x0 + q / q_p, x_grid, u_p) - np.interp(y, y_grid, u_n) - correction
                - eta0 - eta1 * q)

    def corrected(z, q, v):
        return np.r_[voltage(z, q) - v, 0.02 * np.diff(z[6:], 2)]

    rows = []
    for name, file in CURVES.items():
        data = pd.read_csv(ROOT / "data" / "chayambuka2022" / file).sort_values("capacity_mAh")
        q, v = data.capacity_mAh.to_numpy(), data.voltage_V.to_numpy()
        published = voltage(start, q) - v
        fit = least_squares(lambda z, q=q, v=v: voltage(z, q) - v, start, bounds=(lower, upper))
        n = len(KNOTS)
        free = least_squares(corrected, np.r_[start, np.zeros(n)], args=(q, v),
                             bounds=(np.r_[lower, -0.3 * np.ones(n)],
                                     np.r_[upper, 0.3 * np.ones(n)]))
        with_correction = voltage(free.x, q) - v
        rows.append({"curve": name, "points": len(q),
                     "rmse_published_placement_mV": 1e3 * np.sqrt(np.mean(published**2)),
                     "rmse_best_placement_mV": 1e3 * np.sqrt(np.mean(fit.fun**2)),
                     "rmse_with_hc_correction_mV": 1e3 * np.sqrt(np.mean(with_correction**2)),
                     "x0": fit.x[0], "y0": fit.x[1], "Q_p_mAh": fit.x[2], "Q_n_mAh": fit.x[3],
                     "eta0_mV": 1e3 * fit.x[4], "eta1_mV_per_mAh": 1e3 * fit.x[5]})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    with pd.option_context("display.width", 200, "display.float_format", "{:.4g}".format):
        print(main().to_string(index=False))
