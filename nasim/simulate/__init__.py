"""Running PyBaMM on a loaded cell: one constant-current charge or discharge across the window.

PyBaMM returns a partial solution (and only logs) when a solve fails part-way; nasim checks how
every solve ended and raises :class:`SimulationError` with the reason unless it ended at the
voltage cut-off (or at the particle stoichiometry limit, where the OCV diverges: the physical
end of the window). A partial run is never returned as a result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pybamm

from nasim._version import versions
from nasim.analysis.metrics import step_metrics
from nasim.params.loading import LoadedCell, load_cell
from nasim.params.names import STATE_OF_CHARGE, initial_state_of
from nasim.physics.phases import phase_sequence
from nasim.simulate.compile import default_for
from nasim.simulate.ends import SimulationError
from nasim.simulate.engine import CellRunner, constant_current_step
from nasim.simulate.mesh import Mesh

Direction = Literal["discharge", "charge"]
__all__ = ["CellRunner", "SimulationError", "SimulationResult", "simulate"]


@dataclass
class SimulationResult:
    """A finished simulation: the time series (SI and lab units) and what produced it.

    Returned by :func:`nasim.simulate`; a failed run raises instead, so a result always
    reached its cut-off.
    """

    cell: LoadedCell
    model: str
    direction: Direction
    current_A: float
    c_rate: float
    temperature_K: float
    termination: str
    timeseries: pd.DataFrame
    initial_stoichiometry: dict[str, float] = field(default_factory=dict)
    solve_time_s: float = 0.0
    thermal: str = "isothermal"
    #: the PyBaMM solution behind the time series (QuickPlot, plot_voltage_components, any
    #: PyBaMM variable: ``result.solution["Electrolyte concentration [mol.m-3]"]``)
    solution: pybamm.Solution | None = field(default=None, repr=False)
    mesh_points: dict = field(default_factory=dict)  # the mesh (nasim.simulate.mesh.Mesh)
    n_states: int | None = None

    def to_frame(self) -> pd.DataFrame:
        """The time series: ``time_s``, ``current_A``, ``voltage_V``,
        ``capacity_mAh_per_g`` ... (the same object as ``timeseries``)."""
        return self.timeseries

    @property
    def metrics(self) -> dict:
        """Capacity (mAh, mAh/g), median and mean voltage, specific energy and power."""
        return step_metrics(self.timeseries, self.cell.design.cathode_active_mass_kg,
                            self.cell.design.anode_active_mass_kg)

    def phase_summary(self) -> dict:
        """``phase_sequence`` (order in which phases first exceed 50 %, particle-averaged) and
        ``max_volume_change`` (largest |V/V_pristine - 1|); empty without a phase map."""
        frame = self.timeseries
        if "volume_change" not in frame:
            return {}
        fractions = {c.removeprefix("phase_fraction_"): frame[c].to_numpy()
                     for c in frame.columns if c.startswith("phase_fraction_")}
        return {"phase_sequence": phase_sequence(fractions),
                "max_volume_change": float(np.max(np.abs(frame.volume_change)))}

    def summary(self) -> dict:
        """What ran and what came out, as plain values: cell, model, direction, currents,
        temperature, termination, initial stoichiometry, the metrics and the phase summary."""
        return {
            "cell": str(self.cell.path),
            "model": self.model,
            "direction": self.direction,
            "c_rate": self.c_rate,
            "current_A": self.current_A,
            "current_mA_per_g": self.current_A / self.cell.design.cathode_active_mass_kg,
            "temperature_C": self.temperature_K - 273.15,
            "thermal": self.thermal,
            "max_temperature_C": (float(self.timeseries.temperature_C.max())
                                  if "temperature_C" in self.timeseries else None),
            "termination": self.termination,
            "initial_stoichiometry": self.initial_stoichiometry,
            "mesh_points": self.mesh_points,
            **self.metrics,
            **self.phase_summary(),
            **versions(),
        }

    def plot(self, ax=None):
        """Voltage vs specific capacity (a matplotlib Figure; on ``ax`` when given)."""
        from nasim.plots import voltage_capacity

        return voltage_capacity([self], ax=ax)


def simulate(
    cell: LoadedCell | str | Path,
    *,
    model: str = "DFN",
    c_rate: float | None = None,
    current_mA_per_g: float | None = None,
    current_A: float | None = None,
    direction: Direction = "discharge",
    temperature_C: float | None = None,
    mesh_points: int | Mesh | None = None,
    initial_soc: float | None = None,
    thermal: str = "isothermal",
    compiled: bool | None = None,
) -> SimulationResult:
    """Run one constant-current charge or discharge across the cell's voltage window.

    Give exactly one of ``c_rate``, ``current_mA_per_g`` or ``current_A``. The run starts from
    the matching end state (charged for a discharge, discharged for a charge) unless
    ``initial_soc`` says otherwise, and stops at the voltage cut-off.

    Parameters
    ----------
    cell
        A loaded cell (:func:`nasim.load_cell`) or the path of a cell file.
    model
        ``"SPM"``, ``"SPMe"`` or ``"DFN"``.
    c_rate
        Current as a C-rate, 1C as the cell file defines it (150 mA/g for the HEO paper).
    current_mA_per_g
        Current per gram of cathode active material.
    current_A
        Current in amperes.
    direction
        ``"discharge"`` or ``"charge"``.
    temperature_C
        Ambient temperature (default: the cell file's).
    mesh_points
        Points per domain and in each particle (an int: uniform), or a
        :class:`nasim.simulate.mesh.Mesh`; default the cell file's ``mesh:`` (else PyBaMM's).
    initial_soc
        Start state of charge between 0 and 1 (default: the matching end state).
    thermal
        ``"isothermal"`` (the cell stays at the ambient temperature) or ``"lumped"`` (one cell
        temperature from a heat balance with the cell file's ``thermal`` section; the
        Arrhenius laws follow it; ``temperature_C`` in the time series is the cell's).
    compiled
        Solve with the model compiled by gcc (None: the DFN where gcc is found, see
        :func:`nasim.simulate.compile.default_for`; the same results to solver roundoff).

    Returns
    -------
    SimulationResult
        The time series, metrics and what produced them.

    Raises
    ------
    ValueError
        Not exactly one current, a current that is not positive, an unknown direction, model
        or thermal mode, or a temperature below absolute zero.
    ParameterFileError
        The cell file is missing or invalid.
    SimulationError
        The run did not reach its cut-off (the reason says why).

    Examples
    --------
    >>> result = nasim.simulate("parameter_sets/cells/heo_half.yaml", model="SPMe", c_rate=1)
    >>> round(result.metrics["capacity_mAh_per_g"])
    143
    """
    loaded = cell if isinstance(cell, LoadedCell) else load_cell(cell)
    start = initial_state_of(direction)
    given = {k: v for k, v in (("c_rate", c_rate), ("mA_per_g", current_mA_per_g),
                               ("A", current_A)) if v is not None}
    if len(given) != 1:
        raise ValueError("give exactly one of c_rate, current_mA_per_g or current_A")
    current = loaded.current_A(**given)
    if not np.isfinite(current) or current <= 0:
        raise ValueError(f"current must be a positive finite number (got {current} A)")

    temperature_K = (loaded.cell.ambient_temperature.si if temperature_C is None
                     else temperature_C + 273.15)
    if temperature_K <= 0:
        raise ValueError(f"temperature {temperature_C} degC is below absolute zero")
    soc = STATE_OF_CHARGE[start] if initial_soc is None else initial_soc
    # CellRunner checks the model name and thermal mode before any conversion
    runner = CellRunner(loaded, model, initial_soc=soc, mesh_points=mesh_points,
                        thermal=thermal,
                        compiled=default_for(model) if compiled is None else compiled)
    step = constant_current_step(loaded, direction, current, temperature_K)
    solved = runner.run(step, None)
    frame, termination, initial = (solved.full_frame(), solved.termination,
                                   runner.initial_stoichiometry)
    return SimulationResult(
        cell=loaded, model=model, direction=direction, current_A=current,
        c_rate=current / loaded.one_c_current_A, temperature_K=temperature_K,
        termination=termination, timeseries=frame, initial_stoichiometry=initial,
        solve_time_s=solved.solve_time_s, thermal=thermal, solution=solved.solution,
        mesh_points=runner.mesh.describe(), n_states=runner.n_states,
    )
