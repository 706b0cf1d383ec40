"""nasim: physics-based sodium-ion cell simulation on PyBaMM, with sourced parameter sets.

Public API::

    cell = nasim.load_cell("parameter_sets/cells/heo_half.yaml")   # or a bundled name: "heo_half"
    nasim.bundled("cells/heo_half.yaml")   # the path of a bundled file (`nasim list` lists them)
    result = nasim.simulate(cell, model="DFN", c_rate=0.1)
    result.timeseries      # pandas DataFrame
    result.metrics         # capacity_mAh_per_g, median_voltage_V, ...
    result.plot()          # matplotlib Figure
    run = nasim.replay("experiments/heo_half_rate_25C.yaml")
    run.summary            # a row per charge/discharge step, with measured values beside
    band = nasim.replay("experiments/heo_half_rate_25C.yaml", uncertainty=True, seed=1)
    band.summary           # ... with <column>_p2_5 / <column>_p97_5 beside each result
    fitted = nasim.fit("fits/heo_rate_25C/fit.yaml", out="out/fit")
    fitted.to_frame()      # fitted values, 95 % intervals, identifiability
    model, values = nasim.to_pybamm("heo_half")   # a plain PyBaMM model + ParameterValues
    nasim.from_pybamm("Chayambuka2022", out="D")  # PyBaMM set -> nasim files (from_bpx: BPX)

``import nasim`` is cheap: each public name is imported from its module on first use (PEP 562),
so reading and checking parameter files never imports PyBaMM.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

from nasim._version import __version__

#: public name -> module that defines it
_PUBLIC = {
    "EnergyResult": "nasim.simulate.energy",
    "FitResult": "nasim.fit",
    "Mesh": "nasim.simulate.mesh",
    "ParameterFileError": "nasim.params",
    "bundled": "nasim.params",
    "ReplayResult": "nasim.simulate.replay",
    "SimulationError": "nasim.simulate",
    "SimulationResult": "nasim.simulate",
    "UncertaintyResult": "nasim.uncertainty",
    "energy": "nasim.uncertainty.api",
    "fit": "nasim.fit",
    "from_bpx": "nasim.interop",
    "from_pybamm": "nasim.interop",
    "load_cell": "nasim.params",
    "load_protocol": "nasim.protocols",
    "load_study": "nasim.sweep",
    "mesh_check": "nasim.simulate.mesh",
    "parameter_table": "nasim.params",
    "replay": "nasim.uncertainty.api",
    "simulate": "nasim.uncertainty.api",
    "sweep": "nasim.sweep",
    "to_bpx": "nasim.interop",
    "to_pybamm": "nasim.interop",
}

__all__ = [
    "__version__",
    "EnergyResult",
    "FitResult",
    "Mesh",
    "ParameterFileError",
    "ReplayResult",
    "SimulationError",
    "SimulationResult",
    "UncertaintyResult",
    "bundled",
    "energy",
    "fit",
    "from_bpx",
    "from_pybamm",
    "load_cell",
    "load_protocol",
    "load_study",
    "mesh_check",
    "parameter_table",
    "replay",
    "simulate",
    "sweep",
    "to_bpx",
    "to_pybamm",
]

if TYPE_CHECKING:  # for type checkers and IDEs only; at run time names load on first use
    from nasim.fit import FitResult, fit
    from nasim.interop import from_bpx, from_pybamm, to_bpx, to_pybamm
    from nasim.params import ParameterFileError, bundled, load_cell, parameter_table
    from nasim.protocols import load_protocol
    from nasim.simulate import SimulationError, SimulationResult
    from nasim.simulate.energy import EnergyResult
    from nasim.simulate.mesh import Mesh, mesh_check
    from nasim.simulate.replay import ReplayResult
    from nasim.sweep import load_study, sweep
    from nasim.uncertainty import UncertaintyResult
    from nasim.uncertainty.api import energy, replay, simulate


def __getattr__(name: str):
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'nasim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])


class _Package(types.ModuleType):
    """``nasim.simulate``, ``nasim.fit`` and ``nasim.sweep`` are functions (the public API) and
    subpackages: the import system binds a subpackage on its parent when it first loads it;
    that binding is skipped so the name keeps meaning the function (``__getattr__``)."""

    def __setattr__(self, name: str, value) -> None:
        if (name in _PUBLIC and isinstance(value, types.ModuleType)
                and value.__name__ == f"{__name__}.{name}"):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
