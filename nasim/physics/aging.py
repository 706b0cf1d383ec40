"""Cycle aging as options of the cell models: nasim's loss-of-active-material (LAM) submodel of
the cathode and PyBaMM's SEI submodel of a full cell's anode, with their parameter values.

Mechanisms (any subset; each can be switched off):

- ``"phase_strain"``: phase-transition / strain damage of the cathode,
  d eps_s/dt = -k_s eps_s |dv/dx|(x_surf)^n (|I| / I_1C)^m exp(E_r/R (1/T - 1/T_ref)).
  v(x) is the phase map's relative volume change (lever rule across two-phase regions), x the
  Na content at the particle surface: the damage follows the phase path actually crossed, so
  HEO (5.4 %, gentle) and NFM (14.2 %, abrupt O3/P3/O'3 transitions) differ through their
  maps; n = 2 weights abrupt transitions by the elastic energy (proportional to strain
  squared); m > 1 makes a fast cycle more damaging than a slow one (per cycle the damage goes
  as C^(m-1)); E_r >= 0 is the activation energy of the relaxation of the misfit stress
  (cation/vacancy diffusion, dislocation glide): the faster the lattice relaxes, the smaller
  the peak stress of a transition, so the damage per transition falls as 1/relaxation rate
  when hot and rises, boundedly (a factor exp(E_r/R (1/T - 1/T_ref))), when cold. Unlike
  PyBaMM's diffusion-induced stress law (d eps/dt ~ (sigma / sigma_c)^2, sigma ~ c_avg -
  c_surf), it does not grow with the steeper concentration gradients of a cold cell: that law
  predicted 0.24 retention after 200 cycles at -20 degC where 0.90 is measured.
- ``"dissolution"``: transition-metal dissolution / cathode side reactions,
  d eps_s/dt = -k_d eps_s exp((U - U_ref)/U_s) exp(Ea_d/R (1/T_ref - 1/T)), faster at high
  potential and when hot.
- ``"cei"``: growth of the cathode-electrolyte interphase, a resistance, not a capacity loss:
  the film thickness delta (a state) grows as d delta/dt = k_c exp((U - U_ref)/U_s)
  exp(Ea_c/R (1/T_ref - 1/T)) (the potential activation of the dissolution law: electrolyte
  oxidation on the charged surface drives both), and the film grown beyond the fresh cell's
  adds rho (delta - delta_0) / (a L) (Ohm m2 of electrode area; a L: particle surface per
  electrode area) in series with the cell, where the cell's contact resistance enters
  (PyBaMM's "Contact overpotential [V]"), so that a fast cycle reaches its cut-offs earlier.
- ``"sei"``: Na-inventory loss to the growing SEI on the hard-carbon anode of a full cell
  (PyBaMM's "SEI": "reaction limited", with its Arrhenius factor; Na-literature constants in
  the hard-carbon file).

Cycle jumping (``nasim.simulate.execute``) extrapolates the states these add (eps_s, CEI and
SEI, lost Na) over skipped cycles.
"""

from __future__ import annotations

import copy
from collections.abc import Collection

import numpy as np
import pybamm

from nasim.params.loading import LoadedCell, ParameterFileError
from nasim.params.material_sections import CathodeDegradation
from nasim.params.names import AGING_MECHANISMS
from nasim.params.quantities import GAS_CONSTANT
from nasim.physics.phases import volume_change
from nasim.physics.values import (
    REFERENCE_TEMPERATURE_K,
    evaluate_state,
    thermal_values,
    to_parameter_values,
)

#: nasim's own parameter names of the cathode LAM laws (read by the submodel below)
STRAIN_RATE = "nasim positive electrode strain loss rate [s-1]"
STRAIN_EXPONENT = "nasim positive electrode strain loss exponent"
STRAIN_RATE_EXPONENT = "nasim positive electrode strain loss rate exponent"
STRAIN_EA = "nasim positive electrode strain relaxation activation energy [J.mol-1]"
STRAIN_T_REF = "nasim positive electrode strain relaxation reference temperature [K]"
ONE_C_CURRENT = "nasim 1C current [A]"
DISSOLUTION_RATE = "nasim positive electrode dissolution rate [s-1]"
DISSOLUTION_U_REF = "nasim positive electrode dissolution reference potential [V]"
DISSOLUTION_U_SCALE = "nasim positive electrode dissolution potential scale [V]"
DISSOLUTION_EA = "nasim positive electrode dissolution activation energy [J.mol-1]"
#: exp((U(x) - U_ref) / U_s) of the cathode's OCP at the reference temperature, a table of x
DISSOLUTION_ACTIVATION = "nasim positive electrode dissolution potential activation"
DISSOLUTION_T_REF = "nasim positive electrode dissolution reference temperature [K]"
#: the file fields behind the names (cathode.degradation.<field>; input parameters by path)
_FIELDS = {STRAIN_RATE: "strain_loss_rate", STRAIN_EXPONENT: "strain_loss_exponent",
           STRAIN_RATE_EXPONENT: "strain_rate_exponent",
           STRAIN_EA: "strain_relaxation.activation_energy",
           STRAIN_T_REF: "strain_relaxation.reference_temperature",
           DISSOLUTION_RATE: "dissolution_rate",
           DISSOLUTION_U_REF: "dissolution_reference_potential",
           DISSOLUTION_U_SCALE: "dissolution_potential_scale",
           DISSOLUTION_EA: "dissolution_arrhenius.activation_energy",
           DISSOLUTION_T_REF: "dissolution_arrhenius.reference_temperature"}
#: rate constants zeroed when their mechanism is off
_SWITCH = {STRAIN_RATE: "phase_strain", DISSOLUTION_RATE: "dissolution"}
CEI_RATE = "nasim positive electrode CEI growth rate [m.s-1]"
CEI_INITIAL = "nasim positive electrode initial CEI thickness [m]"
CEI_EA = "nasim positive electrode CEI growth activation energy [J.mol-1]"
CEI_T_REF = "nasim positive electrode CEI growth reference temperature [K]"
#: resistivity / (a L A): the series resistance per metre of film grown [Ohm.m-1]
CEI_RESISTANCE = "nasim positive electrode CEI resistance per thickness [Ohm.m-1]"
#: the state of the ``cei`` mechanism (cycle jumping finds it by "CEI thickness")
CEI_THICKNESS = "X-averaged positive electrode CEI thickness [m]"
CEI_GROWTH = "X-averaged positive electrode CEI growth rate [m.s-1]"
CEI_DROP = "Positive electrode CEI overpotential [V]"
CEI_OHM = "Positive electrode CEI resistance [Ohm]"
#: the file fields of the ``cei`` mechanism (cathode.degradation.cei.<field>)
_CEI_FIELDS = {CEI_RATE: "cei.growth_rate", CEI_INITIAL: "cei.initial_thickness",
               CEI_EA: "cei.arrhenius.activation_energy",
               CEI_T_REF: "cei.arrhenius.reference_temperature"}

_SECTION_SCHEMA = {"degradation": "CathodeDegradation", "sei": "SEIGrowth",
                   "phase_map": "PhaseMap", "degradation.cei": "CathodeInterphase"}


def check_mechanisms(mechanisms: Collection[str], configuration: str) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(mechanisms))
    unknown = set(out) - set(AGING_MECHANISMS)
    if unknown:
        raise ValueError(f"unknown aging mechanism(s) {sorted(unknown)}; expected any of "
                         f"{', '.join(AGING_MECHANISMS)}")
    if "sei" in out and configuration != "full":
        raise ValueError("the 'sei' mechanism needs a full cell (a hard-carbon anode); a half "
                         "cell's Na-metal counter electrode is an unlimited Na reservoir")
    return out


def aging_options(mechanisms: Collection[str], configuration: str) -> dict:
    """PyBaMM options for the mechanisms (positive electrode = nasim's cathode): PyBaMM's LAM
    state (current-driven at rate 0; nasim's laws are added by the submodel below)."""
    if not mechanisms:
        return {}
    lam = "current-driven"
    options = {"loss of active material": lam if configuration == "half" else ("none", lam)}
    if "sei" in mechanisms:
        options["SEI"] = "reaction limited"
    return options


def _missing(loaded: LoadedCell, role: str, section: str, mechanism: str):
    return ParameterFileError(loaded.files()[role], [
        f"field '{section}': missing; the '{mechanism}' aging mechanism needs it (see "
        f"nasim.params.material_sections.{_SECTION_SCHEMA[section]})"])


def strain_tables(loaded: LoadedCell, n: int = 801) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, |dv/dx|, v(x)) of the cathode from its phase map: the relative volume change v and
    its slope in Na content x (lever rule across two-phase regions)."""
    x = np.linspace(0.0, 1.0, n)
    dv = volume_change(loaded.cathode.phase_map, x)
    return x, np.abs(np.gradient(dv, x)), dv


def _field(deg, name: str):
    value = deg
    for part in name.split("."):
        value = getattr(value, part)
    return value.si


def _section_values(deg: CathodeDegradation, fields: dict[str, str],
                    inputs: Collection[str]) -> dict:
    """PyBaMM name -> SI value (or input parameter, when its path is in ``inputs``) of the
    ``cathode.degradation`` fields ``fields``."""
    out = {}
    for key, name in fields.items():
        path = f"cathode.degradation.{name}"
        out[key] = pybamm.InputParameter(path) if path in inputs else _field(deg, name)
    return out


def aging_parameter_values(loaded: LoadedCell, mechanisms: Collection[str],
                           inputs: Collection[str] = ()) -> dict:
    """PyBaMM values of the aging mechanisms (a subset of ``AGING_MECHANISMS``) for
    ``loaded``. Constants whose path (``cathode.degradation.<field>``) is in ``inputs`` become
    input parameters of that name.

    PyBaMM's SEI Arrhenius factor uses the cell-wide reference temperature
    (:data:`REFERENCE_TEMPERATURE_K`, also that of the entropic OCP term), so the file's SEI
    exchange current density, given at its own reference temperature, is moved to that one
    (no change when they are equal)."""
    check_mechanisms(mechanisms, loaded.configuration)
    values: dict = {}
    if not mechanisms:
        return values
    deg = loaded.cathode.degradation
    if deg is None:
        raise _missing(loaded, "cathode", "degradation", next(iter(mechanisms)))
    values.update(_section_values(deg, _FIELDS, inputs))
    values.update({key: 0.0 for key, mechanism in _SWITCH.items() if mechanism not in mechanisms})
    if "cei" in mechanisms:
        if deg.cei is None:
            raise _missing(loaded, "cathode", "degradation.cei", "cei")
        values.update(_section_values(deg, _CEI_FIELDS, inputs))
        geom = loaded.design.cathode
        surface_per_area = 3.0 * geom.active_volume_fraction * geom.thickness_m \
            / geom.particle_radius_m
        values[CEI_RESISTANCE] = deg.cei.resistivity.si / (surface_per_area
                                                           * loaded.design.area_m2)
    values[ONE_C_CURRENT] = loaded.one_c_current_A
    values["Positive electrode current-driven LAM rate"] = 0.0
    if loaded.cathode.phase_map is None:
        if "phase_strain" in mechanisms:
            raise _missing(loaded, "cathode", "phase_map", "phase_strain")
        slope = lambda sto: 0.0 * sto  # noqa: E731  (no strain term)
    else:
        x, slope_table, _ = strain_tables(loaded)
        slope = lambda sto: pybamm.Interpolant(  # noqa: E731
            x, slope_table, sto, name="cathode |dv/dx|")
    values["nasim positive electrode volume change slope"] = slope
    x = np.linspace(0.0, 1.0, 801)
    with np.errstate(all="ignore"):
        u = evaluate_state(loaded.cathode.open_circuit_potential, "stoichiometry", x)
    u = np.clip(np.nan_to_num(u, nan=0.0, posinf=10.0, neginf=0.0), 0.0, 10.0)
    exponent = np.clip((u - deg.dissolution_reference_potential.si)
                       / deg.dissolution_potential_scale.si, -50.0, 20.0)
    values[DISSOLUTION_ACTIVATION] = lambda sto: pybamm.Interpolant(
        x, np.exp(exponent), sto, name="cathode dissolution activation")
    if "sei" in mechanisms and loaded.anode is not None:
        sei = loaded.anode.sei
        if sei is None:
            raise _missing(loaded, "anode", "sei", "sei")
        j0 = sei.exchange_current_density.si * float(np.exp(
            sei.arrhenius.exponent(REFERENCE_TEMPERATURE_K)))
        values.update({
            "SEI reaction exchange current density [A.m-2]": j0,
            "SEI open-circuit potential [V]": sei.open_circuit_potential.si,
            "SEI partial molar volume [m3.mol-1]": sei.partial_molar_volume.si,
            "SEI resistivity [Ohm.m]": sei.resistivity.si,
            "Initial SEI thickness [m]": sei.initial_thickness.si,
            "Ratio of lithium moles to SEI moles": sei.sodium_per_sei_formula_unit.si,
            "SEI growth activation energy [J.mol-1]": sei.arrhenius.activation_energy.si,
        })
    return values


def run_parameter_values(loaded: LoadedCell, inputs: Collection[str] = (),
                         mechanisms: Collection[str] = (), lumped: bool = False
                         ) -> pybamm.ParameterValues:
    """The values a run of ``loaded`` builds its model with: :func:`to_parameter_values`
    (``inputs``: parameter-file paths made input parameters), with ``lumped`` the lumped
    thermal model's values (:func:`thermal_values`), and those of the aging ``mechanisms``."""
    values = to_parameter_values(loaded, inputs=inputs)
    if lumped:
        values.update(thermal_values(loaded), check_already_exists=False)
    if mechanisms:
        values.update(aging_parameter_values(loaded, mechanisms, inputs),
                      check_already_exists=False)
    return values


def _arrhenius(ea: str, t_ref: str, T):
    return pybamm.exp(pybamm.Parameter(ea) / GAS_CONSTANT
                      * (1 / pybamm.Parameter(t_ref) - 1 / T))


class CathodeLossOfActiveMaterial(pybamm.active_material.LossActiveMaterial):
    """PyBaMM's LAM submodel of the cathode (its state, the Na lost with the material) with
    nasim's strain and dissolution laws as the rate (see the module doc)."""

    def get_coupled_variables(self, variables):
        variables = super().get_coupled_variables(variables)
        pre = "X-averaged positive" if self.x_average else "Positive"
        eps = variables[f"{pre} electrode active material volume fraction"]
        T = variables[f"{pre} electrode temperature [K]"]
        x_surf = variables[f"{pre} particle surface stoichiometry"]
        c_rate = pybamm.AbsoluteValue(variables["Current [A]"]) / pybamm.Parameter(ONE_C_CURRENT)
        slope = pybamm.FunctionParameter("nasim positive electrode volume change slope",
                                         {"Stoichiometry": x_surf})
        # bases kept > 0 (the table's linear extrapolation past x = 1 can dip below 0): d(x^y)
        # carries log(x), NaN at x <= 0 in forward sensitivities
        strain = (pybamm.Parameter(STRAIN_RATE)
                  * (pybamm.maximum(slope, 0) + 1e-12) ** pybamm.Parameter(STRAIN_EXPONENT)
                  * (c_rate + 1e-12) ** pybamm.Parameter(STRAIN_RATE_EXPONENT)
                  / _arrhenius(STRAIN_EA, STRAIN_T_REF, T))
        # potential activation as a table of x_surf (see aging_parameter_values): the OCP's
        # slope diverges at the ends of the window, NaN in forward sensitivities
        activation = pybamm.FunctionParameter(DISSOLUTION_ACTIVATION, {"Stoichiometry": x_surf})
        dissolution = (pybamm.Parameter(DISSOLUTION_RATE) * pybamm.maximum(activation, 0)
                       * _arrhenius(DISSOLUTION_EA, DISSOLUTION_T_REF, T))
        key = f"{pre} electrode active material volume fraction change [s-1]"
        variables.update(self._get_standard_active_material_change_variables(
            variables[key] - eps * (strain + dissolution)))
        return variables


class CathodeInterphase(pybamm.BaseSubModel):
    """The CEI film of the ``cei`` mechanism: its thickness (one x-averaged state, scaled by
    the fresh film's) and growth rate [m/s] (see the module doc)."""

    def __init__(self, param: pybamm.LithiumIonParameters, options: dict):
        super().__init__(param, "positive", options=options)

    def get_fundamental_variables(self) -> dict:
        delta = pybamm.Variable(CEI_THICKNESS, domain="current collector",
                                scale=pybamm.Parameter(CEI_INITIAL))
        return {CEI_THICKNESS: delta}

    def get_coupled_variables(self, variables: dict) -> dict:
        x_surf = variables["X-averaged positive particle surface stoichiometry"]
        T = variables["X-averaged positive electrode temperature [K]"]
        activation = pybamm.FunctionParameter(DISSOLUTION_ACTIVATION, {"Stoichiometry": x_surf})
        rate = (pybamm.Parameter(CEI_RATE) * pybamm.maximum(activation, 0)
                * _arrhenius(CEI_EA, CEI_T_REF, T))
        variables[CEI_GROWTH] = rate
        return variables

    def set_rhs(self, variables: dict) -> None:
        self.rhs = {variables[CEI_THICKNESS]: variables[CEI_GROWTH]}

    def set_initial_conditions(self, variables: dict) -> None:
        self.initial_conditions = {variables[CEI_THICKNESS]: pybamm.Parameter(CEI_INITIAL)}


def _with_cei_drop(submodel: pybamm.BaseSubModel) -> pybamm.BaseSubModel:
    """The positive electrode potential submodel ``submodel`` (the one that sets the cell's
    voltage) with the grown CEI's ohmic drop added to PyBaMM's contact overpotential, where a
    series resistance enters the voltage (``_get_standard_current_collector_potential_
    variables`` of ``pybamm.electrode.BaseElectrode``, PyBaMM 26): the voltage, its cut-off
    events and a CV hold all see it."""
    base = type(submodel)

    class WithCEIDrop(base):
        def _get_standard_whole_cell_variables(self, variables):
            grown = variables[CEI_THICKNESS] - pybamm.Parameter(CEI_INITIAL)
            self._cei_drop = (variables["Current [A]"] * pybamm.Parameter(CEI_RESISTANCE)
                              * grown)
            out = super()._get_standard_whole_cell_variables(variables)
            out[CEI_DROP] = self._cei_drop
            out[CEI_OHM] = pybamm.Parameter(CEI_RESISTANCE) * grown
            return out

        def _get_standard_current_collector_potential_variables(self, phi_s_cn, phi_s_cp,
                                                                delta_phi_contact):
            return super()._get_standard_current_collector_potential_variables(
                phi_s_cn, phi_s_cp, delta_phi_contact + self._cei_drop)

    new = copy.copy(submodel)
    new.__class__ = WithCEIDrop
    return new


def build_aging_model(cls, options: dict, mechanisms: Collection[str], name: str):
    """A PyBaMM model of class ``cls`` with the aging options and nasim's cathode LAM
    submodel in place of PyBaMM's, and with ``"cei"`` the CEI film and its ohmic drop."""
    options = {**options, **aging_options(mechanisms, _configuration(options))}
    model = cls(options, name=name, build=False)
    key = "positive primary active material"
    if key not in model.submodels:
        raise RuntimeError(f"PyBaMM model has no submodel {key!r} ({sorted(model.submodels)})")
    old = model.submodels[key]
    model.submodels[key] = CathodeLossOfActiveMaterial(
        model.param, "positive", model.options, old.x_average, "primary")
    if "cei" in mechanisms:
        model.submodels["positive electrode potential"] = _with_cei_drop(
            model.submodels["positive electrode potential"])
        model.submodels["cathode interphase"] = CathodeInterphase(model.param, model.options)
    model.build_model()
    return model


def _configuration(options: dict) -> str:
    return "half" if options.get("working electrode") == "positive" else "full"


__all__ = ["CathodeInterphase", "CathodeLossOfActiveMaterial", "aging_options",
           "aging_parameter_values", "build_aging_model", "check_mechanisms", "strain_tables"]
