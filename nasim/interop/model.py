"""A nasim cell as a plain PyBaMM model and parameter values.

The C-rate convention
---------------------
nasim's 1C is the cell file's definition (``one_c_specific_current``, e.g. 150 mA/g of cathode
active mass for the HEO paper, or its nominal capacity): ``LoadedCell.one_c_current_A``.
PyBaMM's "C" (in ``Experiment`` strings and the ``C-rate`` variable) is ``Nominal cell capacity
[A.h]`` per hour. :func:`to_pybamm` sets that nominal capacity to nasim's 1C current × 1 h, so
``"Discharge at 1C until 2 V"`` in a PyBaMM ``Experiment`` is nasim's 1C (for the HEO half cell
150 mA/g, not the 152.28 mAh/g of its stoichiometry window); ``Current function [A]`` is that 1C
current too, so a plain ``pybamm.Simulation(model, parameter_values=values).solve([0, 3600])``
is nasim's 1C discharge. Nothing in PyBaMM's physics reads the nominal capacity.
"""

from __future__ import annotations

import pybamm

from nasim.params.loading import LoadedCell, load_cell
from nasim.params.names import INITIAL_STATES, MODEL_NAMES, InitialState, check_name
from nasim.physics.models import MODEL_CLASSES, model_options
from nasim.physics.state import set_initial_state
from nasim.physics.values import thermal_values, to_parameter_values

NOMINAL_CAPACITY = "Nominal cell capacity [A.h]"
CURRENT_FUNCTION = "Current function [A]"


def to_pybamm(cell: LoadedCell | str, model: str = "DFN",
              initial_state: InitialState = "charged", thermal: str = "isothermal"
              ) -> tuple[pybamm.BaseModel, pybamm.ParameterValues]:
    """``(model, parameter_values)`` of ``cell`` (a loaded cell, a cell file or a bundled
    name) for ``pybamm.Simulation(model, parameter_values=parameter_values)``.

    ``model``: SPM, SPMe or DFN (PyBaMM's lithium-ion models with nasim's options: a half cell
    is ``{"working electrode": "positive"}``); ``thermal``: isothermal or lumped (needs the cell
    file's ``thermal`` section). The initial concentrations are those of ``initial_state``
    ("charged": at the upper cut-off, "discharged": at the lower; a full cell keeps its Na
    inventory, as in ``nasim.simulate``). PyBaMM's 1C and ``Current function [A]`` are
    nasim's 1C (see the module docstring). nasim solves on the cell file's mesh (``mesh:``, e.g.
    surface-clustered particle points): ``pybamm.Simulation(pybamm_model, parameter_values=
    values, **nasim.simulate.mesh.Mesh.of_cell(cell, model).simulation_kwargs(pybamm_model))``
    gives the same discretisation (PyBaMM's default mesh differs by ~15 mV at 1C for the HEO
    cells)."""
    loaded = cell if isinstance(cell, LoadedCell) else load_cell(cell)
    check_name(model, MODEL_NAMES, "model")
    check_name(initial_state, INITIAL_STATES, "initial state")
    values = to_parameter_values(loaded)
    if thermal == "lumped":
        values.update(thermal_values(loaded), check_already_exists=False)
    set_initial_state(loaded, values, initial_state)
    one_c = loaded.one_c_current_A
    values.update({NOMINAL_CAPACITY: one_c / 1.0, CURRENT_FUNCTION: one_c})
    options = model_options(loaded.configuration, thermal)
    if loaded.cell.contact_resistance is not None:
        options["contact resistance"] = "true"
    label = f"nasim {model} ({loaded.name}, {loaded.configuration} cell)"
    return MODEL_CLASSES[model](options, name=label), values
