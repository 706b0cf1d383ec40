"""Which currents produced the measured Chayambuka 2022 curves?

The files are named by C-rate (0.1, 0.6, 1.4C); with the cell's nominal 3 mAh that is 0.3, 1.8
and 4.2 mA (experiments/chayambuka2022_rate.yaml). BattMo.jl's calibration example
(examples/Experimental/example_chayambuka_calibration.jl) converts the same files to time with
1C = 10 A/m2 x 2.54 cm2 = 2.54 mA and factors 1, 5 and 12, i.e. 0.254, 1.27 and 3.05 mA. This
script discharges PyBaMM's own sodium DFN (``pybamm.sodium_ion.BasicDFN``) with the published
``Chayambuka2022`` parameters (the paper's model of these very cells) at both sets of currents
and prints the capacity at 2.0 V beside the measured one.

Run: python fits/chayambuka_curves_window/current_basis.py   (about 5 s)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pybamm

ROOT = Path(__file__).resolve().parents[2]
FILES = ("discharge_01C.csv", "discharge_06C.csv", "discharge_14C.csv")
BASES = {"file names, 1C = 3 mA": (0.3e-3, 1.8e-3, 4.2e-3),
         "BattMo.jl, 0.254/1.27/3.05 mA": (0.254e-3, 1.27e-3, 3.048e-3)}


def capacity_at_2V_mAh(current_A: float) -> float:
    values = pybamm.ParameterValues("Chayambuka2022")
    values["Current function [A]"] = current_A
    sim = pybamm.Simulation(pybamm.sodium_ion.BasicDFN(), parameter_values=values,
                            solver=pybamm.IDAKLUSolver())
    sol = sim.solve([0.0, 1.3 * 3e-3 * 3600.0 / current_A])
    return float(sol["Discharge capacity [A.h]"].entries[-1] * 1e3)


def main() -> pd.DataFrame:
    rows = []
    for basis, currents in BASES.items():
        for file, current in zip(FILES, currents, strict=True):
            measured = pd.read_csv(ROOT / "data" / "chayambuka2022" / file).capacity_mAh.max()
            simulated = capacity_at_2V_mAh(current)
            rows.append({"basis": basis, "curve": file, "current_mA": 1e3 * current,
                         "measured_mAh": measured, "published_model_mAh": simulated,
                         "relative_error": simulated / measured - 1.0})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    import warnings

    warnings.simplefilter("ignore")  # PyBaMM's interpolation-bound warnings at the very end
    with pd.option_context("display.width", 200, "display.float_format", "{:.4g}".format):
        print(main().to_string(index=False))
