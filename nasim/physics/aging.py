"""Cycle aging as options of the cell models, built on PyBaMM's degradation submodels.

Mechanisms (any subset; each can be switched off):

- ``"phase_strain"``: loss of cathode active material (LAM) driven by the lattice strain of the
  cathode's phase path. PyBaMM's diffusion-induced stress ("particle mechanics": "swelling
  only") with Na's partial molar volume Omega(x) taken from the phase map,
  |Omega| = N_A |dV_fu/dx| (V_fu: unit-cell volume per formula unit, lever rule across
  two-phase regions), and PyBaMM's stress-driven LAM,
  d eps_s/dt = -beta (sigma_h,tensile / sigma_c)^m. The surface hydrostatic stress scales with
  Omega E (c_avg - c_surf): HEO and NFM differ through their phase maps (5.4 % vs 14.2 % volume
  change, the latter concentrated in abrupt transitions) and through rate and temperature
  through the concentration gradients, not through a hand-set factor.
- ``"dissolution"``: transition-metal dissolution / cathode side reactions,
  d eps_s/dt = -k_d eps_s exp((U - U_ref)/U_s) exp(Ea/R (1/T_ref - 1/T)), faster at high
  potential and when hot (nasim's submodel below, added to PyBaMM's LAM submodel).
- ``"sei"``: Na-inventory loss to the growing SEI on the hard-carbon anode of a full cell
  (PyBaMM's "SEI": "reaction limited", with its Arrhenius factor).
"""

from __future__ import annotations

from collections.abc import Collection

import pybamm

from nasim.params.loading import LoadedCell
from nasim.params.names import AGING_MECHANISMS
from nasim.params.quantities import GAS_CONSTANT
from nasim.physics.values import (
    DISSOLUTION_EA,
    DISSOLUTION_RATE,
    DISSOLUTION_T_REF,
    DISSOLUTION_U_REF,
    DISSOLUTION_U_SCALE,
    aging_values,
    strain_tables,
)


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
    """PyBaMM options for the mechanisms (positive electrode = nasim's cathode)."""
    if not mechanisms:
        return {}

    def pos(value: str):
        return value if configuration == "half" else ("none", value)

    options = {"loss of active material": pos(
        "stress-driven" if "phase_strain" in mechanisms else "current-driven")}
    if "phase_strain" in mechanisms:
        options["particle mechanics"] = pos("swelling only")
        # stress does not feed back on transport: the diffusivity stays the fitted one
        options["stress-induced diffusion"] = "false"
    if "sei" in mechanisms:
        options["SEI"] = "reaction limited"
    return options


def aging_parameter_values(loaded: LoadedCell, mechanisms: Collection[str],
                           inputs: Collection[str] = ()) -> dict:
    """PyBaMM values of the mechanisms (see :func:`nasim.physics.values.aging_values`)."""
    return aging_values(loaded, mechanisms, inputs)


class CathodeLossOfActiveMaterial(pybamm.active_material.LossActiveMaterial):
    """PyBaMM's LAM submodel of the cathode (stress-driven, or current-driven at rate 0) plus
    nasim's dissolution term d eps_s/dt = -k_d eps_s exp((U - U_ref)/U_s) Arrhenius(T)."""

    def get_coupled_variables(self, variables):
        variables = super().get_coupled_variables(variables)
        prefix = "X-averaged positive electrode" if self.x_average else "Positive electrode"
        eps = variables[f"{prefix} active material volume fraction"]
        ocp = variables[f"{prefix} open-circuit potential [V]"]
        T = variables[f"{prefix} temperature [K]"]
        k_d = pybamm.Parameter(DISSOLUTION_RATE)
        u_ref, u_s = pybamm.Parameter(DISSOLUTION_U_REF), pybamm.Parameter(DISSOLUTION_U_SCALE)
        ea, t_ref = pybamm.Parameter(DISSOLUTION_EA), pybamm.Parameter(DISSOLUTION_T_REF)
        rate = (k_d * eps * pybamm.exp((ocp - u_ref) / u_s)
                * pybamm.exp(ea / GAS_CONSTANT * (1 / t_ref - 1 / T)))
        key = ("X-averaged positive electrode active material volume fraction change [s-1]"
               if self.x_average else
               "Positive electrode active material volume fraction change [s-1]")
        variables.update(self._get_standard_active_material_change_variables(
            variables[key] - rate))
        return variables


def build_aging_model(cls, options: dict, mechanisms: Collection[str], name: str):
    """A PyBaMM model of class ``cls`` with the aging options and nasim's cathode LAM
    submodel in place of PyBaMM's."""
    options = {**options, **aging_options(mechanisms, _configuration(options))}
    model = cls(options, name=name, build=False)
    key = "positive primary active material"
    if key not in model.submodels:
        raise RuntimeError(f"PyBaMM model has no submodel {key!r} ({sorted(model.submodels)})")
    old = model.submodels[key]
    model.submodels[key] = CathodeLossOfActiveMaterial(
        model.param, "positive", model.options, old.x_average, "primary")
    model.build_model()
    return model


def _configuration(options: dict) -> str:
    return "half" if options.get("working electrode") == "positive" else "full"


__all__ = ["CathodeLossOfActiveMaterial", "aging_options", "aging_parameter_values",
           "build_aging_model", "check_mechanisms", "strain_tables"]
