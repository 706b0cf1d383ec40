"""BPX (Battery Parameter eXchange) export of a nasim full cell, checked with the ``bpx``
package's schema and loadable with ``pybamm.ParameterValues.create_from_bpx``.

What BPX has, nasim writes from the cell's PyBaMM parameter values (:func:`to_pybamm`):
functions of state become BPX tables (OCP and particle diffusivity over stoichiometry at the
reference temperature, electrolyte diffusivity and conductivity over concentration), each
Arrhenius law an activation energy (read from two temperatures, and checked to be one), solid
conductivities their effective values (BPX's convention), porosity and Bruggeman exponent the
transport efficiency ε^b, volume fraction and radius the surface area per volume 3ε/R. The
charged and discharged states are the stoichiometry limits; no initial state of charge is
written, so PyBaMM starts at the charged limits (with "Initial state-of-charge" 1 its state
solver would move the start to the upper cut-off voltage instead of nasim's charged state).
Nominal capacity: nasim's 1C current × 1 h, so BPX's/PyBaMM's "1C" is nasim's 1C.

What BPX has no field for goes under ``Parameterisation → User-defined`` when it is a number or
a table (PyBaMM adds those to its parameter values, where nothing reads them), and as JSON text
under ``Header → Description`` (``{"nasim": {...}}``; PyBaMM 26.10's BPX reader turns every
User-defined entry into a parameter, so text cannot go there): that the cell is sodium-ion
(every "lithium" in BPX/PyBaMM names means sodium), the charged and discharged
stoichiometries, nasim's 1C, the sources of the values. A rate constant that varies with
stoichiometry (Chayambuka's) has no BPX form: BPX takes one value, nasim writes the value at the
middle of the window and tabulates the rest under User-defined (for Chayambuka's cell the 1C
capacity in PyBaMM then stays within 0.3 % of nasim's, the voltage differs by ~50 mV RMS). The
contact resistance is a User-defined number too. Half cells (a
Na-metal counter electrode) have no BPX form and are refused.
"""

from __future__ import annotations

import json

import numpy as np
import pybamm

from nasim._version import __version__
from nasim.interop.sampling import (
    activation_energy,
    evaluate,
    function_of,
    rate_constant,
    table_range,
)
from nasim.params.loading import LoadedCell, load_cell
from nasim.params.provenance import sources_used

BPX_VERSION = "1.0"
_STO = np.linspace(0.0, 1.0, 201)
_DOMAINS = {"Negative": "anode", "Positive": "cathode"}


def _table(x: np.ndarray, y: np.ndarray) -> dict | float:
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if np.allclose(y, y[0], rtol=1e-12, atol=0):
        return float(y[0])
    return {"x": [float(v) for v in x], "y": [float(v) for v in y]}


def _electrode(values: pybamm.ParameterValues, side: str, charged: dict, discharged: dict,
               t_ref: float, c_e0: float, extra: dict) -> dict:
    pre, role = f"{side} electrode ", _DOMAINS[side]
    c_max = values[f"Maximum concentration in {side.lower()} electrode [mol.m-3]"]
    radius = values[f"{side} particle radius [m]"]
    eps_s = values[f"{pre}active material volume fraction"]
    porosity = values[f"{pre}porosity"]
    # tables where the cell's own tables have data (no extrapolated values in the file)
    sto = table_range(values, function_of(values, f"{pre}OCP [V]", 0), _STO)
    ocp = evaluate(values, f"{pre}OCP [V]", sto)
    d_name = f"{side} particle diffusivity [m2.s-1]"
    d_sto = table_range(values, function_of(values, d_name, 0, t_ref), _STO)
    diffusivity = evaluate(values, d_name, d_sto, t_ref)
    ea_d = activation_energy(lambda t: evaluate(values, d_name, d_sto, t), t_ref, d_name)
    # exchange current: BPX's j0 = F k sqrt(c_e/c_e0 x (1-x)) with one k
    j_name = f"{pre}exchange-current density [A.m-2]"
    lo, hi = sorted((charged[role], discharged[role]))
    inner = np.linspace(lo, hi, 51)

    def k_of(t: float, x: np.ndarray = inner) -> np.ndarray:  # BPX's k is nasim's x c_max
        return rate_constant(values, side, x, t) * c_max

    k = k_of(t_ref)
    mid = float(np.interp(0.5 * (lo + hi), inner, k))
    if np.ptp(k) > 1e-9 * abs(mid):
        extra[f"{pre}reaction rate constant over stoichiometry [mol.m-2.s-1]"] = {
            "x": [float(v) for v in inner], "y": [float(v) for v in k]}
    ea_k = activation_energy(lambda t: k_of(t, np.array([0.5 * (lo + hi)])), t_ref, j_name)
    dudt = evaluate(values, f"{pre}OCP entropic change [V.K-1]", sto, c_max)
    brugg = values[f"{pre}Bruggeman coefficient (electrolyte)"]
    b_s = values[f"{pre}Bruggeman coefficient (electrode)"]
    return {
        "Minimum stoichiometry": float(min(charged[role], discharged[role])),
        "Maximum stoichiometry": float(max(charged[role], discharged[role])),
        "Maximum concentration [mol.m-3]": float(c_max),
        "Particle radius [m]": float(radius),
        "Surface area per unit volume [m-1]": float(3.0 * eps_s / radius),
        "Diffusivity [m2.s-1]": _table(d_sto, diffusivity),
        "Diffusivity activation energy [J.mol-1]": ea_d,
        "OCP [V]": _table(sto, ocp),
        "Entropic change coefficient [V.K-1]": _table(sto, dudt),
        "Reaction rate constant [mol.m-2.s-1]": mid,
        "Reaction rate constant activation energy [J.mol-1]": ea_k,
        "Thickness [m]": float(values[f"{pre}thickness [m]"]),
        "Porosity": float(porosity),
        "Transport efficiency": float(porosity ** brugg),
        "Conductivity [S.m-1]": float(values[f"{pre}conductivity [S.m-1]"] * eps_s ** b_s),
    }


def _electrolyte(values: pybamm.ParameterValues, t_ref: float, c_e0: float) -> dict:
    c = np.linspace(0.0, 3.0 * c_e0, 121)[1:]
    out = {"Cation transference number": float(values["Cation transference number"])}
    for name, key in (("Diffusivity", "Electrolyte diffusivity [m2.s-1]"),
                      ("Conductivity", "Electrolyte conductivity [S.m-1]")):
        unit = key[key.index("["):]
        out[f"{name} {unit}"] = _table(c, evaluate(values, key, c, t_ref))
        out[f"{name} activation energy [J.mol-1]"] = activation_energy(
            lambda t, key=key: evaluate(values, key, c, t), t_ref, key)
    return out


def to_bpx(cell: LoadedCell | str) -> dict:
    """The BPX document (a dict, valid against the ``bpx`` package's schema) of a full cell;
    see the module docstring for what goes where."""
    import bpx

    from nasim.interop.model import to_pybamm
    from nasim.params import parameter_table

    loaded = cell if isinstance(cell, LoadedCell) else load_cell(cell)
    if loaded.configuration != "full":
        raise ValueError(f"{loaded.path.name}: a half cell (Na-metal counter electrode) has no "
                         "BPX form: BPX describes two porous electrodes")
    _, values = to_pybamm(loaded, "DFN", "charged")
    _, low = to_pybamm(loaded, "DFN", "discharged")
    charged, discharged = ({role: v[f"Initial concentration in {side.lower()} electrode "
                                     "[mol.m-3]"]
                            / v[f"Maximum concentration in {side.lower()} electrode [mol.m-3]"]
                            for side, role in _DOMAINS.items()} for v in (values, low))
    if values["Thermodynamic factor"] != 1.0:
        raise ValueError(f"{loaded.path.name}: BPX assumes a thermodynamic factor of 1; this "
                         f"electrolyte has {values['Thermodynamic factor']}")
    t_ref = float(values["Reference temperature [K]"])
    c_e0 = float(values["Initial concentration in electrolyte [mol.m-3]"])
    extra: dict = {"Contact resistance [Ohm]": float(values["Contact resistance [Ohm]"])}
    electrodes = {side: _electrode(values, side, charged, discharged, t_ref, c_e0, extra)
                  for side in _DOMAINS}
    stack_m = sum(float(values[f"{d} thickness [m]"]) for d in
                  ("Negative electrode", "Separator", "Positive electrode"))
    sources = sources_used(parameter_table(loaded.path))
    notes = {
        "written by": f"nasim {__version__} (nasim export-bpx)",
        "chemistry": "sodium-ion: every 'lithium' in BPX and PyBaMM parameter names means "
                     "sodium",
        "cell file": loaded.path.name,
        "one C": f"{loaded.one_c_current_A:.6g} A (nasim's 1C; the nominal capacity is this "
                 "current for 1 h)",
        "charged stoichiometry": charged,
        "active material density [kg/m3]": {role: getattr(loaded, role).density_kg_per_m3()
                                             for role in ("cathode", "anode")},
        "discharged stoichiometry": discharged,
        "reaction rate constant": "BPX's value is nasim's at the middle of the window; a "
                                  "varying one is tabulated under User-defined",
        "sources": sources,
        "external surface area and volume": "not cell-file values: both faces of the "
                                            "electrode area and area x stack thickness (BPX "
                                            "readers need them; only thermal models use them)",
    }
    doc = {
        "Header": {
            "BPX": BPX_VERSION,
            "Title": f"{loaded.name} (nasim)",
            "Description": json.dumps({"nasim": notes}, indent=1),
            "References": "; ".join(sources),
            "Model": "DFN",
        },
        "Parameterisation": {
            "Cell": {
                "Electrode area [m2]": float(loaded.design.area_m2),
                "Number of electrode pairs connected in parallel to make a cell": 1,
                "Lower voltage cut-off [V]": float(values["Lower voltage cut-off [V]"]),
                "Upper voltage cut-off [V]": float(values["Upper voltage cut-off [V]"]),
                "Nominal cell capacity [A.h]": float(values["Nominal cell capacity [A.h]"]),
                "Reference temperature [K]": t_ref,
                # PyBaMM's BPX reader needs these two (only its thermal models use them)
                "External surface area [m2]": 2.0 * float(loaded.design.area_m2),
                "Volume [m3]": float(loaded.design.area_m2) * stack_m,
            },
            "Electrolyte": _electrolyte(values, t_ref, c_e0),
            "Negative electrode": electrodes["Negative"],
            "Positive electrode": electrodes["Positive"],
            "Separator": {
                "Thickness [m]": float(values["Separator thickness [m]"]),
                "Porosity": float(values["Separator porosity"]),
                "Transport efficiency": float(values["Separator porosity"]
                                              ** values["Separator Bruggeman coefficient "
                                                        "(electrolyte)"]),
            },
            "User-defined": extra,
        },
        "State": {
            "Initial conditions": {
                "Initial temperature [K]": float(values["Initial temperature [K]"]),
                "Initial electrolyte concentration [mol.m-3]": c_e0,
            },
            "Thermal environment": {"Ambient temperature [K]":
                                    float(values["Ambient temperature [K]"])},
        },
    }
    bpx.parse_bpx_obj(json.loads(json.dumps(doc)))  # the schema's check; raises on a bad field
    return doc

