"""Conversion of a loaded cell to ``pybamm.ParameterValues``, aging values included.

This module writes every PyBaMM (lithium-named) parameter value of a cell. nasim's cathode is
PyBaMM's positive electrode and its anode (or Na-metal counter electrode, PyBaMM's "lithium
metal" electrode) the negative one. Other modules only read a few keys back:
:mod:`nasim.physics.state` (initial concentrations, the electrode-SOH problem's scale keys),
:mod:`nasim.physics.aging` (the submodels' variable names) and the solve side in
:mod:`nasim.simulate` (output variables, the current function).

Functions of state become PyBaMM expressions: a constant, a CSV table (``pybamm.Interpolant``)
or a named closed form, each times an optional log-linear factor in the stoichiometry x,
10^(s (x - x_ref)), and an optional Arrhenius factor in the temperature T.

Exchange-current density of an intercalation electrode (Butler-Volmer, symmetric form):
    j0 = F k(x, T) (c_e / c_e,ref)^(1/2) c_s^(1/2) (c_max - c_s)^(1/2)       [A/m2]
with the rate constant k [m/s] from the material file (Chayambuka et al. 2022's form).
Exchange-current density of the Na-metal electrode:
    j0 = j0_ref(c_e, T) (c_e / c_e,ref)^(1/2)   when j0_ref is a constant, else the table value.

Input parameters (fitting): a value named by its path in the parameter files (see
:func:`input_paths`) can become a ``pybamm.InputParameter`` of the same name, so that one built
model is solved for many values. ``<function>`` is the SI value of a constant function,
``<function>.scale`` a dimensionless multiplier of the function as the file gives it (any form),
``<function>.arrhenius.activation_energy`` the activation energy in J/mol,
``<function>.stoichiometry_factor.log10_slope`` the slope of a log-linear stoichiometry
dependence (decades per unit stoichiometry) and
``contact_resistance`` the cell's areal series resistance in Ohm m2. A full cell that starts
from a published charged state (its file gives ``initial_stoichiometry``) also offers the
values that place the two electrodes' windows against each other (:data:`WINDOW_PLACING_PATHS`):
``initial_stoichiometry.cathode`` / ``.anode`` (the start stoichiometries) and, for an
electrode whose thickness the file gives, ``cathode.loading`` / ``anode.loading`` (the areal
active mass in kg/m2: the active volume fraction, and with it the electrode's capacity and
surface area, scale with it; the geometry stays).
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pybamm

from nasim.params.inventory import sodium_inventory
from nasim.params.loading import LoadedCell
from nasim.params.names import AGING_INPUT_FIELDS
from nasim.params.quantities import FARADAY, GAS_CONSTANT, StateFunction
from nasim.params.thermal import cell_thermal, current_collectors, heat_capacity

SIDE = {"cathode": "Positive", "anode": "Negative"}
#: PyBaMM's cell-wide reference temperature (entropic OCP term, SEI Arrhenius factor)
REFERENCE_TEMPERATURE_K = 298.15


def state_symbol(fn: StateFunction, variables: dict[str, pybamm.Symbol], temperature_K=None,
                 name: str = "f", path: str | None = None,
                 inputs: Collection[str] = ()) -> pybamm.Symbol:
    """PyBaMM expression of ``fn``; ``variables`` maps each table variable name to its symbol.

    ``path`` names the function in the parameter files (e.g. ``cathode.diffusivity``); the
    names in ``inputs`` derived from it become input parameters (see the module docstring)."""
    if path is not None and path in inputs:
        base = pybamm.InputParameter(path)
    elif fn.value is not None:
        base = pybamm.Scalar(fn.value * fn.scale)
    elif fn.table is not None:
        t = fn.table
        base = pybamm.Interpolant(t.x_si, t.y_raw * fn.scale, variables[t.x], name=name,
                                  interpolator=t.interpolation)
    else:
        x, u = fn.closed_form.tabulate()
        base = pybamm.Interpolant(x, u * fn.scale, variables["stoichiometry"], name=name,
                                  interpolator="linear")
    if path is not None and f"{path}.scale" in inputs:
        base = base * pybamm.InputParameter(f"{path}.scale")
    if fn.stoichiometry_factor is not None:
        slope_path = f"{path}.stoichiometry_factor.log10_slope"
        sf = fn.stoichiometry_factor
        slope = (pybamm.InputParameter(slope_path) if path is not None and slope_path in inputs
                 else sf.log10_slope.si)
        base = base * 10.0 ** (slope * (variables["stoichiometry"]
                                        - sf.reference_stoichiometry.si))
    if fn.arrhenius is not None and temperature_K is not None:
        ea_path = f"{path}.arrhenius.activation_energy"
        if path is not None and ea_path in inputs:
            t_ref = fn.arrhenius.reference_temperature.si
            base = base * pybamm.exp(pybamm.InputParameter(ea_path) / GAS_CONSTANT
                                     * (1.0 / t_ref - 1.0 / temperature_K))
        else:
            base = base * pybamm.exp(fn.arrhenius.exponent(temperature_K))
    return base


#: input-parameter paths that place the two electrodes' windows against each other (a full
#: cell at its published charged state only)
WINDOW_PLACING_PATHS = ("initial_stoichiometry.cathode", "initial_stoichiometry.anode",
                        "cathode.loading", "anode.loading")
#: input-parameter paths whose value lives in the cell file (not in a material file)
CELL_INPUT_PATHS = ("contact_resistance", *WINDOW_PLACING_PATHS)


def input_paths(loaded: LoadedCell) -> dict[str, tuple[str, float]]:
    """Every value of ``loaded`` that can be an input parameter: path -> (dimension, the file's
    SI value), dimensions as in :mod:`nasim.params.units`. Constant functions give their value,
    every function a ``.scale`` (value 1) and each Arrhenius factor its activation energy;
    ``contact_resistance`` is always available (0 when the cell file has none)."""
    functions = {"cathode.diffusivity": loaded.cathode.diffusivity,
                 "cathode.rate_constant": loaded.cathode.rate_constant,
                 "electrolyte.diffusivity": loaded.electrolyte.diffusivity,
                 "electrolyte.conductivity": loaded.electrolyte.conductivity}
    if loaded.anode is not None:
        functions["anode.diffusivity"] = loaded.anode.diffusivity
        functions["anode.rate_constant"] = loaded.anode.rate_constant
    else:
        functions["counter_electrode.exchange_current_density"] = (
            loaded.counter_electrode.exchange_current_density)
    out: dict[str, tuple[str, float]] = {}
    for path, fn in functions.items():
        if fn.value is not None:
            out[path] = (fn.dimension, fn.value * fn.scale)
        out[f"{path}.scale"] = ("dimensionless", 1.0)
        if fn.stoichiometry_factor is not None:
            out[f"{path}.stoichiometry_factor.log10_slope"] = (
                "dimensionless", fn.stoichiometry_factor.log10_slope.si)
        if fn.arrhenius is not None:
            out[f"{path}.arrhenius.activation_energy"] = (
                "molar_energy", fn.arrhenius.activation_energy.si)
    resistance = loaded.cell.contact_resistance
    out["contact_resistance"] = ("areal_resistance",
                                 resistance.si if resistance is not None else 0.0)
    init = loaded.cell.initial_stoichiometry
    if init is not None:  # a full cell at a published charged state (no state to solve for)
        out["initial_stoichiometry.cathode"] = ("dimensionless", init.cathode.si)
        out["initial_stoichiometry.anode"] = ("dimensionless", init.anode.si)
        for role in ("cathode", "anode"):
            geom = getattr(loaded.design, role)
            if getattr(loaded.cell, role).loading is not None and not geom.thickness_derived:
                out[f"{role}.loading"] = ("areal_mass", geom.loading_kg_per_m2)
    degradation = loaded.cathode.degradation
    if degradation is not None:  # aging constants (used when aging is switched on)
        for name, dimension in AGING_INPUT_FIELDS.items():
            value = degradation
            for part in name.split("."):
                value = getattr(value, part) if value is not None else None
            if value is not None:  # None: an optional section (cei) the file does not have
                out[f"cathode.degradation.{name}"] = (dimension, value.si)
    return out


def evaluate_state(fn: StateFunction, variable: str, x: np.ndarray) -> np.ndarray:
    """Numerical values of ``fn`` at the reference temperature (no Arrhenius factor)."""
    sym = state_symbol(fn, {variable: pybamm.Vector(np.atleast_1d(np.asarray(x, float)))})
    return np.asarray(sym.evaluate()).ravel()


def _electrode_values(loaded: LoadedCell, role: str, inputs: Collection[str] = ()) -> dict:
    side = SIDE[role]
    material = loaded.cathode if role == "cathode" else loaded.anode
    design = loaded.cell.cathode if role == "cathode" else loaded.cell.anode
    geom = loaded.design.cathode if role == "cathode" else loaded.design.anode
    c_max = geom.maximum_concentration_mol_per_m3
    c_e_ref = loaded.electrolyte.concentration.si
    name = material.name

    def ocp(sto):
        return state_symbol(material.open_circuit_potential, {"stoichiometry": sto},
                            name=f"{name} OCP")

    def diffusivity(sto, T):
        return state_symbol(material.diffusivity,
                            {"stoichiometry": sto, "particle_concentration": sto * c_max}, T,
                            name=f"{name} diffusivity", path=f"{role}.diffusivity",
                            inputs=inputs)

    def exchange_current(c_e, c_s_surf, c_s_max, T):
        k = state_symbol(material.rate_constant,
                         {"stoichiometry": c_s_surf / c_max, "particle_concentration": c_s_surf},
                         T, name=f"{name} rate constant", path=f"{role}.rate_constant",
                         inputs=inputs)
        return (FARADAY * k * (c_e / c_e_ref) ** 0.5 * c_s_surf**0.5
                * (c_s_max - c_s_surf) ** 0.5)

    window = material.stoichiometry_window
    eps_active = geom.active_volume_fraction
    if f"{role}.loading" in inputs:  # at a fixed thickness the active fraction follows it
        eps_active = eps_active * pybamm.InputParameter(f"{role}.loading") / geom.loading_kg_per_m2
    return {
        f"{side} electrode thickness [m]": geom.thickness_m,
        f"{side} electrode porosity": geom.porosity,
        f"{side} electrode active material volume fraction": eps_active,
        f"{side} particle radius [m]": geom.particle_radius_m,
        f"{side} electrode conductivity [S.m-1]": design.electronic_conductivity.si,
        f"Maximum concentration in {side.lower()} electrode [mol.m-3]": c_max,
        f"{side} particle diffusivity [m2.s-1]": diffusivity,
        f"{side} electrode OCP [V]": ocp,
        f"{side} electrode exchange-current density [A.m-2]": exchange_current,
        f"{side} electrode charge transfer coefficient": material.charge_transfer_coefficient.si,
        f"{side} electrode Bruggeman coefficient (electrolyte)": design.bruggeman_electrolyte.si,
        f"{side} electrode Bruggeman coefficient (electrode)": design.bruggeman_electrode.si,
        f"{side} electrode OCP entropic change [V.K-1]": material.entropic_change.si,
        f"Initial concentration in {side.lower()} electrode [mol.m-3]":
            window.discharged.si * c_max,
    }


def _counter_electrode_values(loaded: LoadedCell, inputs: Collection[str] = ()) -> dict:
    metal = loaded.counter_electrode
    c_e_ref = loaded.electrolyte.concentration.si
    j0 = metal.exchange_current_density

    def exchange_current(c_e, c_metal, T):
        base = state_symbol(j0, {"electrolyte_concentration": c_e}, T, name="Na metal j0",
                            path="counter_electrode.exchange_current_density", inputs=inputs)
        return base * (c_e / c_e_ref) ** 0.5 if j0.value is not None else base

    return {
        "Negative electrode thickness [m]": loaded.cell.counter_electrode.thickness.si,
        "Negative electrode conductivity [S.m-1]": metal.electronic_conductivity.si,
        "Negative electrode OCP [V]": 0.0,
        "Negative electrode OCP entropic change [V.K-1]": 0.0,
        "Lithium metal partial molar volume [m3.mol-1]": metal.molar_volume.si,
        "Exchange-current density for lithium metal electrode [A.m-2]": exchange_current,
    }


def _electrolyte_values(loaded: LoadedCell, inputs: Collection[str] = ()) -> dict:
    el = loaded.electrolyte

    def diffusivity(c_e, T):
        return state_symbol(el.diffusivity, {"electrolyte_concentration": c_e}, T,
                            name=f"{el.name} diffusivity", path="electrolyte.diffusivity",
                            inputs=inputs)

    def conductivity(c_e, T):
        return state_symbol(el.conductivity, {"electrolyte_concentration": c_e}, T,
                            name=f"{el.name} conductivity", path="electrolyte.conductivity",
                            inputs=inputs)

    return {
        "Initial concentration in electrolyte [mol.m-3]": el.concentration.si,
        "Cation transference number": el.transference_number.si,
        "Thermodynamic factor": el.thermodynamic_factor.si,
        "Electrolyte diffusivity [m2.s-1]": diffusivity,
        "Electrolyte conductivity [S.m-1]": conductivity,
    }


def thermal_values(loaded: LoadedCell) -> dict:
    """Values of PyBaMM's lumped thermal model with "use lumped thermal capacity": the cell's
    whole heat capacity (hardware included) as one volumetric heat capacity C / V_cell, the
    cooling area and heat-transfer coefficient, and the current collectors' through-plane
    thickness and conductivity (their Ohmic heat); see :mod:`nasim.params.thermal`. Raises a
    ParameterFileError naming the file and field when something a lumped run needs is
    missing."""
    thermal = cell_thermal(loaded)
    budget = heat_capacity(loaded)
    pos, neg = current_collectors(loaded)
    return {
        "Cell volume [m3]": budget.cell_volume_m3,
        "Cell cooling surface area [m2]": thermal.cooling_surface_area.si,
        "Total heat transfer coefficient [W.m-2.K-1]": thermal.heat_transfer_coefficient.si,
        "Cell heat capacity [J.K-1.m-3]": budget.volumetric_J_per_m3_K,
        "Positive current collector thickness [m]": pos.thickness_m,
        "Positive current collector conductivity [S.m-1]": pos.conductivity_S_per_m,
        "Negative current collector thickness [m]": neg.thickness_m,
        "Negative current collector conductivity [S.m-1]": neg.conductivity_S_per_m,
    }


def to_parameter_values(loaded: LoadedCell, inputs: Collection[str] = ()
                        ) -> pybamm.ParameterValues:
    """A complete ``pybamm.ParameterValues`` for ``loaded`` (isothermal at ambient temperature).

    ``inputs``: paths (from :func:`input_paths`) that become input parameters of that name.

    The initial concentrations are those of the discharged end of each electrode's window
    (full cell: less the anode's first-cycle Na loss, taken from the cathode; or the file's
    ``initial_stoichiometry``), see :mod:`nasim.params.inventory`; :mod:`nasim.physics.state`
    moves them to the state a simulation starts from, keeping the full cell's Na inventory.
    """
    cell = loaded.cell
    side = float(np.sqrt(loaded.design.area_m2))
    t_amb = cell.ambient_temperature.si
    values = {
        "chemistry": "sodium_ion",
        "Electrode height [m]": side,
        "Electrode width [m]": side,
        "Number of electrodes connected in parallel to make a cell": 1.0,
        "Number of cells connected in series to make a battery": 1.0,
        "Nominal cell capacity [A.h]": (cell.nominal_capacity.si / 3600.0
                                        if cell.nominal_capacity is not None
                                        else loaded.design.window_capacity_Ah),
        "Current function [A]": 0.0,
        "Contact resistance [Ohm]": (
            pybamm.InputParameter("contact_resistance") / loaded.design.area_m2
            if "contact_resistance" in inputs else
            (cell.contact_resistance.si / loaded.design.area_m2
             if cell.contact_resistance is not None else 0.0)),
        "Separator thickness [m]": cell.separator.thickness.si,
        "Separator porosity": cell.separator.porosity.si,
        "Separator Bruggeman coefficient (electrolyte)": cell.separator.bruggeman_electrolyte.si,
        "Reference temperature [K]": REFERENCE_TEMPERATURE_K,
        "Ambient temperature [K]": t_amb,
        "Initial temperature [K]": t_amb,
        "Lower voltage cut-off [V]": cell.voltage_window.lower.si,
        "Upper voltage cut-off [V]": cell.voltage_window.upper.si,
        "Open-circuit voltage at 0% SOC [V]": cell.voltage_window.lower.si,
        "Open-circuit voltage at 100% SOC [V]": cell.voltage_window.upper.si,
    }
    unknown = set(inputs) - set(input_paths(loaded))
    if unknown:
        raise ValueError(f"not input parameters of {loaded.path.name}: {sorted(unknown)}")
    values.update(_electrolyte_values(loaded, inputs))
    values.update(_electrode_values(loaded, "cathode", inputs))
    if loaded.anode is not None:
        values.update(_electrode_values(loaded, "anode", inputs))
        # the Na inventory after the first cycle (published initial state, or the discharged
        # ends less the anode's first-cycle loss): see nasim.params.inventory
        inventory = sodium_inventory(loaded)
        for role, x in (("cathode", inventory.cathode_stoichiometry),
                        ("anode", inventory.anode_stoichiometry)):
            path = f"initial_stoichiometry.{role}"
            start = pybamm.InputParameter(path) if path in inputs else x
            values[f"Initial concentration in {SIDE[role].lower()} electrode [mol.m-3]"] = (
                start * getattr(loaded.design, role).maximum_concentration_mol_per_m3)
    else:
        values.update(_counter_electrode_values(loaded, inputs))
    return pybamm.ParameterValues(values)
