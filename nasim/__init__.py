"""nasim: physics-based sodium-ion cell simulation on PyBaMM, with sourced parameter sets.

Public API::

    cell = nasim.load_cell("parameter_sets/cells/heo_half.yaml")
    result = nasim.simulate(cell, model="DFN", c_rate=0.1)
    result.timeseries      # pandas DataFrame
    result.metrics         # capacity_mAh_per_g, median_voltage_V, ...
    result.plot()          # matplotlib Figure
    run = nasim.replay("experiments/heo_half_rate_25C.yaml")
    run.summary            # a row per charge/discharge step, with measured values beside
    fitted = nasim.fit("fits/heo_rate_25C/fit.yaml", out="out/fit")
    fitted.to_frame()      # fitted values, 95 % intervals, identifiability
"""

import os

os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")

from nasim.analysis.energy import EnergyResult, energy  # noqa: E402
from nasim.fit import FitResult, fit  # noqa: E402
from nasim.params import ParameterFileError, load_cell, parameter_table  # noqa: E402
from nasim.protocols import load_protocol  # noqa: E402
from nasim.simulate import SimulationError, SimulationResult, simulate  # noqa: E402
from nasim.simulate.replay import ReplayResult, replay  # noqa: E402
from nasim.sweep import load_study, sweep  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "EnergyResult",
    "FitResult",
    "ParameterFileError",
    "ReplayResult",
    "SimulationError",
    "SimulationResult",
    "energy",
    "fit",
    "load_cell",
    "load_protocol",
    "load_study",
    "parameter_table",
    "replay",
    "simulate",
    "sweep",
]
