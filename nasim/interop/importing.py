"""PyBaMM parameter values as nasim parameter files (:func:`from_pybamm`).

Every number of the PyBaMM set keeps its origin: ``source: {kind: literature, citation:
"PyBaMM parameter set <name>"}`` for a named PyBaMM set, or the caller's source (``imported``
from a BPX file, or a BPX header's references), with the PyBaMM key in ``note``/``key``.
Functions are sampled where their tables have data (:func:`nasim.interop.sampling.table_range`)
and written as CSV tables next to the files: OCP and particle diffusivity over stoichiometry at
the reference temperature, the exchange current as nasim's rate constant k(x)
(j0 = F k c_s^1/2 (c_max - c_s)^1/2 at the initial electrolyte concentration, so PyBaMM's
factors such as Chayambuka's 1/2 end up in k), electrolyte functions over concentration; a
temperature dependence becomes nasim's Arrhenius factor (refused when it is not one). A function
that samples to one number is written as a value.

What PyBaMM sets do not hold and nasim files need is written with ``kind: assumed`` and its
reason: the active-material densities (default 2000 kg/m³, or ``densities=``; they change only
per-mass figures: the loading is written as ε_s ρ L so the active volume fraction is PyBaMM's),
the slurry recipe (all active mass) and the stoichiometry window's discharged end (the end of
the OCP table). The charged end and the cell's ``initial_stoichiometry`` are PyBaMM's initial
concentrations: nasim starts a full cell there. nasim's 1C is the set's ``Nominal cell capacity
[A.h]`` per hour, the same as PyBaMM's 1C.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pybamm
import yaml

from nasim.interop.sampling import (
    activation_energy,
    evaluate,
    function_of,
    rate_constant,
    table_range,
)
from nasim.params.loading import load_cell, load_file
from nasim.rundir import write_text

ROLES = ("cell", "cathode", "anode", "electrolyte")
SIDE = {"cathode": "Positive", "anode": "Negative"}
DEFAULT_DENSITY = 2000.0  # kg/m3
_GRID = np.linspace(1e-4, 1.0 - 1e-4, 1001)
_ASSUMED_DENSITY = ("PyBaMM parameter values carry no density; {rho:g} kg/m3 taken. Only "
                    "per-mass figures (mAh/g, the loading) depend on it: the loading is "
                    "written so that the active volume fraction is PyBaMM's")


def _number(value: float) -> float:
    return float(f"{float(value):.10g}")


class _Writer:
    """Writes the files of one import: ``out/materials``, ``out/electrolytes``, ``out/cells``,
    tables under ``out/materials/<stem>/``; every value with its source; each file atomically
    (:func:`nasim.rundir.write_text`)."""

    def __init__(self, values: pybamm.ParameterValues, out: Path, stem: str, source: dict,
                 discharged: dict[str, dict]):
        self.values, self.out, self.stem, self.source = values, out, stem, source
        self.discharged = discharged
        self.t_ref = float(values["Reference temperature [K]"])
        self.written: list[Path] = []

    def src(self, key: str, method: str | None = None) -> dict:
        """The source of the value PyBaMM calls ``key``."""
        if self.source["kind"] == "imported":
            return {**self.source, "key": key, **({"method": method} if method else {})}
        via = self.source.get("note", f"PyBaMM {pybamm.__version__}")
        return {**self.source, "note": f"{via}: {key}" + (f"; {method}" if method else "")}

    def q(self, value: float, unit: str, key: str, method: str | None = None) -> dict:
        return {"value": _number(value), "unit": unit, "source": self.src(key, method)}

    def q_or(self, key: str, unit: str, default: float, reason: str) -> dict:
        """:meth:`q` of ``key``, or ``default`` (assumed, for ``reason``) when it is missing."""
        if key in self.values.keys():
            return self.q(self.values[key], unit, key)
        return {"value": default, "unit": unit, "source": {"kind": "assumed", "exact": True,
                                                           "reason": f"{key}: {reason}"}}

    def table(self, key: str, x_name: str, x: np.ndarray, y: np.ndarray, file: str,
              x_unit: str = "1") -> dict:
        x = np.array([_number(a) for a in x])
        x, first = np.unique(x, return_index=True)  # points that coincide as written
        y = np.asarray(y)[first]
        path = self.out / "materials" / self.stem / f"{file}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow([x_name, key])
        writer.writerows((f"{a:.10g}", f"{b:.10g}") for a, b in zip(x, y, strict=True))
        self.written.append(write_text(path, text.getvalue()))
        return {"file": f"{self.stem}/{file}.csv", "x": x_name, "x_column": x_name,
                "y_column": key, "x_unit": x_unit}

    def function(self, key: str, unit: str, x_name: str, x: np.ndarray, sample, file: str,
                 x_unit: str = "1", base: str = "materials", column: str | None = None
                 ) -> dict:
        """A nasim function of state from ``sample(x, T)`` (the PyBaMM function ``key``)."""
        y = sample(x, self.t_ref)
        ok = np.isfinite(y)
        x, y = x[ok], y[ok]
        ea = activation_energy(lambda t: sample(x, t), self.t_ref, key)
        if np.allclose(y, y[0], rtol=1e-12, atol=0):
            out = {"value": _number(y[0]), "unit": unit}
        else:
            table = self.table(column or key, x_name, x, y, file, x_unit)
            if base != "materials":
                table["file"] = f"../materials/{table['file']}"
            out = {"table": table, "unit": unit}
        out["source"] = self.src(key, "sampled by nasim at the reference temperature"
                                 if "table" in out else None)
        if ea:
            out["arrhenius"] = {"activation_energy": self.q(ea, "J/mol", key,
                                                            "read from its values at T_ref "
                                                            "and T_ref + 10 K"),
                                "reference_temperature": self.q(self.t_ref, "K",
                                                                "Reference temperature [K]")}
        return out

    def dump(self, folder: str, name: str, doc: dict) -> Path:
        path = self.out / folder / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        header = f"# Written by nasim.from_pybamm: {doc.get('description', '')}\n"
        write_text(path, header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True,
                                                 width=100))
        self.written.append(path)
        return path

    # ------------------------------------------------------------------------- file kinds
    def material(self, role: str, density: float) -> Path:
        v, side = self.values, SIDE[role]
        low = side.lower()
        c_max_key = f"Maximum concentration in {low} electrode [mol.m-3]"
        c_max = float(v[c_max_key])
        ocp_key = f"{side} electrode OCP [V]"
        sto = table_range(v, function_of(v, ocp_key, 0), _GRID)
        ocp = evaluate(v, ocp_key, sto)
        init_key = f"Initial concentration in {low} electrode [mol.m-3]"
        x0 = float(v[init_key]) / c_max
        end = float(sto[-1] if role == "cathode" else sto[0])
        d_key = f"{side} particle diffusivity [m2.s-1]"
        d_sto = table_range(v, function_of(v, d_key, 0, self.t_ref), _GRID)
        j_key = f"{side} electrode exchange-current density [A.m-2]"
        c_e0 = float(v["Initial concentration in electrolyte [mol.m-3]"])
        k_sto = table_range(v, lambda x: function_of(v, j_key, 1, c_e0, c_max, self.t_ref)(
            x * c_max), _GRID)
        dudt_key = f"{side} electrode OCP entropic change [V.K-1]"
        dudt = evaluate(v, dudt_key, sto, c_max)
        if np.ptp(dudt) > 1e-12:
            raise ValueError(f"{dudt_key}: varies with stoichiometry ({dudt.min():.3g} to "
                             f"{dudt.max():.3g} V/K); nasim's entropic_change is one number")
        doc = {
            "kind": "active_material", "name": f"{self.stem} {role}", "role": role,
            "description": f"{side.lower()} electrode of {self._origin()}",
            "maximum_concentration": self.q(c_max, "mol/m3", c_max_key),
            "density": {"value": density, "unit": "kg/m3", "source": {
                "kind": "assumed", "exact": True, "reason": _ASSUMED_DENSITY.format(rho=density)}},
            "stoichiometry_window": {
                "charged": {"value": _number(x0), "unit": "1", "source": {
                    "kind": "derived", "from": [init_key, c_max_key],
                    "method": "initial concentration / c_max (PyBaMM's start)"}},
                "discharged": self.discharged.get(role) or {
                    "value": _number(end), "unit": "1", "source": {
                        "kind": "assumed", "exact": True,
                        "reason": f"PyBaMM sets have no window; the "
                        f"{'last' if role == 'cathode' else 'first'} stoichiometry of its OCP "
                        "data"}},
            },
            "particle_radius": self.q(float(v[f"{side} particle radius [m]"]) * 1e6, "um",
                                      f"{side} particle radius [m]"),
            "open_circuit_potential": {
                "table": self.table(ocp_key, "stoichiometry", sto, ocp, f"U_{role}"),
                "unit": "V", "source": self.src(ocp_key, "sampled by nasim")},
            "entropic_change": self.q(dudt[0], "V/K", dudt_key),
            "diffusivity": self.function(
                d_key, "m2/s", "stoichiometry", d_sto,
                lambda x, t: evaluate(v, d_key, x, t), f"D_{role}"),
            "rate_constant": self.function(
                j_key, "m/s", "stoichiometry", k_sto,
                lambda x, t: rate_constant(v, side, x, t), f"k_{role}",
                column=f"{side} rate constant in nasim form [m.s-1]"),
            "charge_transfer_coefficient": self.q_or(
                f"{side} electrode charge transfer coefficient", "1", 0.5,
                "none given (BPX has no field for it): symmetric Butler-Volmer kinetics"),
        }
        doc["rate_constant"]["source"] = self.src(
            j_key, "nasim's k = j0 / (F sqrt(c_s (c_max - c_s))) at the initial electrolyte "
            "concentration, sampled over stoichiometry")
        return self.dump("materials", f"{self.stem}_{role}", doc)

    def electrolyte(self) -> Path:
        v = self.values
        c0_key = "Initial concentration in electrolyte [mol.m-3]"
        c0 = float(v[c0_key])
        grid = np.linspace(c0 / 200.0, 3.0 * c0, 600)

        def fn(key: str, unit: str, file: str) -> dict:
            return self.function(key, unit, "electrolyte_concentration",
                                 table_range(v, function_of(v, key, 0, self.t_ref), grid),
                                 lambda c, t: evaluate(v, key, c, t), file, "mol/m3",
                                 base="electrolytes")

        tdf = "Thermodynamic factor"
        doc = {
            "kind": "electrolyte", "name": f"{self.stem} electrolyte",
            "description": f"electrolyte of {self._origin()}",
            "concentration": self.q(c0, "mol/m3", c0_key),
            "transference_number": self.q(v["Cation transference number"], "1",
                                          "Cation transference number"),
            "thermodynamic_factor": self.q_or(tdf, "1", 1.0, "none given: an ideal solution"),
            "diffusivity": fn("Electrolyte diffusivity [m2.s-1]", "m2/s", "D_e"),
            "conductivity": fn("Electrolyte conductivity [S.m-1]", "S/m", "sigma_e"),
        }
        return self.dump("electrolytes", self.stem, doc)

    def electrode_design(self, role: str, density: float) -> dict:
        v, side = self.values, SIDE[role]
        eps_key = f"{side} electrode active material volume fraction"
        l_key = f"{side} electrode thickness [m]"
        loading = float(v[eps_key]) * density * float(v[l_key]) * 100.0  # kg/m2 -> mg/cm2
        none = {"kind": "assumed", "exact": True,
                "reason": "PyBaMM sets have no slurry recipe; all of the "
                "solid mass is taken as active (only the mass budget uses the fractions)"}
        pvdf = {"kind": "assumed", "exact": True,
                "reason": "unused (binder and carbon fractions 0)"}
        return {
            "material": f"../materials/{self.stem}_{role}.yaml",
            "loading": {"value": _number(loading), "unit": "mg/cm2", "source": {
                "kind": "derived", "from": [eps_key, l_key, "the material's density"],
                "method": "active volume fraction x density x thickness"}},
            "thickness": self.q(float(v[l_key]) * 1e6, "um", l_key),
            "porosity": self.q(v[f"{side} electrode porosity"], "1",
                               f"{side} electrode porosity"),
            "active_mass_fraction": {"value": 1.0, "unit": "1", "source": none},
            "binder_mass_fraction": {"value": 0.0, "unit": "1", "source": none},
            "carbon_mass_fraction": {"value": 0.0, "unit": "1", "source": none},
            "binder_density": {"value": 1.78, "unit": "g/cm3", "source": pvdf},
            "carbon_density": {"value": 1.9, "unit": "g/cm3", "source": pvdf},
            **{field: self.q(v[key], unit, key) for field, key, unit in (
                ("electronic_conductivity", f"{side} electrode conductivity [S.m-1]", "S/m"),
                ("bruggeman_electrolyte", f"{side} electrode Bruggeman coefficient "
                                          "(electrolyte)", "1"),
                ("bruggeman_electrode", f"{side} electrode Bruggeman coefficient (electrode)",
                 "1"))},
        }

    def cell(self, densities: dict[str, float]) -> Path:
        v = self.values
        area = float(v["Electrode height [m]"]) * float(v["Electrode width [m]"])
        sep = "Separator "
        doc = {
            "kind": "cell", "name": self.stem, "description": self._origin(),
            "cathode": self.electrode_design("cathode", densities["cathode"]),
            "anode": self.electrode_design("anode", densities["anode"]),
            "separator": {"name": f"{self.stem} separator",
                          "thickness": self.q(float(v[f"{sep}thickness [m]"]) * 1e6, "um",
                                              f"{sep}thickness [m]"),
                          "porosity": self.q(v[f"{sep}porosity"], "1", f"{sep}porosity"),
                          "bruggeman_electrolyte": self.q(
                              v[f"{sep}Bruggeman coefficient (electrolyte)"], "1",
                              f"{sep}Bruggeman coefficient (electrolyte)")},
            "electrolyte": f"../electrolytes/{self.stem}.yaml",
            "electrode_area": self.q(area * 1e4, "cm2", "Electrode height [m] x Electrode "
                                                        "width [m]"),
            "voltage_window": {
                "lower": self.q(v["Lower voltage cut-off [V]"], "V",
                                "Lower voltage cut-off [V]"),
                "upper": self.q(v["Upper voltage cut-off [V]"], "V",
                                "Upper voltage cut-off [V]")},
            "nominal_capacity": self.q(float(v["Nominal cell capacity [A.h]"]) * 1e3, "mAh",
                                       "Nominal cell capacity [A.h]"),
            "ambient_temperature": self.q(v["Ambient temperature [K]"], "K",
                                          "Ambient temperature [K]"),
            "initial_stoichiometry": {role: {"value": _number(
                float(v[f"Initial concentration in {SIDE[role].lower()} electrode [mol.m-3]"])
                / float(v[f"Maximum concentration in {SIDE[role].lower()} electrode "
                          "[mol.m-3]"])), "unit": "1", "source": {
                "kind": "derived", "from": [f"Initial concentration in {SIDE[role].lower()} "
                                            "electrode [mol.m-3]", "its c_max"],
                "method": "initial concentration / c_max"}} for role in SIDE},
        }
        resistance = float(v["Contact resistance [Ohm]"]) if "Contact resistance [Ohm]" in \
            v.keys() else 0.0
        if resistance:
            doc["contact_resistance"] = self.q(resistance * area, "Ohm.m2",
                                               "Contact resistance [Ohm] x electrode area")
        return self.dump("cells", self.stem, doc)

    def _origin(self) -> str:
        if self.source["kind"] == "imported":
            return f"{self.source['from']} (imported by nasim)"
        return self.source["citation"]


def _stem(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "imported"


def from_pybamm(parameter_values: pybamm.ParameterValues | str, role: str = "cell",
                out: str | Path = ".", name: str | None = None, *,
                source: dict | None = None, densities: dict[str, float] | None = None,
                discharged: dict[str, dict] | None = None, overwrite: bool = False
                ) -> list[Path]:
    """Write PyBaMM parameter values as nasim files under ``out`` (``cells/``,
    ``materials/``, ``electrolytes/``, tables in ``materials/<name>/``); returns the paths,
    the main file (of ``role``) first.

    ``parameter_values``: a ``pybamm.ParameterValues`` or the name of a PyBaMM set
    (``"Chayambuka2022"``, cited as "PyBaMM parameter set Chayambuka2022"). ``role``: ``cell``
    (a full cell with its two materials and electrolyte), ``cathode`` (PyBaMM's positive
    electrode), ``anode`` (negative) or ``electrolyte``. ``name``: the file stem (default: the
    set's name). ``source``: the source every imported value carries (default: literature
    "PyBaMM parameter set <name>" for a named set, else ``imported`` from "pybamm.ParameterValues
    given to nasim.from_pybamm"). ``densities``: active-material densities in kg/m³ by role
    (PyBaMM sets have none; default 2000, marked assumed). ``discharged``: the discharged end
    of a material's window as a nasim quantity (``{value, unit, source}``) by role (default:
    the end of its OCP data, assumed). Files of the same name under ``out`` are an error unless
    ``overwrite``. nasim's 1C of the written cell is
    the set's nominal capacity per hour, PyBaMM's 1C. Half-cell values (a lithium/sodium-metal
    counter electrode) are imported per material only. The written cell is validated."""
    if role not in ROLES:
        raise ValueError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    if isinstance(parameter_values, str):
        set_name = parameter_values
        parameter_values = pybamm.ParameterValues(set_name)
        source = source or {"kind": "literature",
                            "citation": f"PyBaMM parameter set {set_name}"}
        name = name or set_name
    source = source or {"kind": "imported",
                        "from": "pybamm.ParameterValues given to nasim.from_pybamm"}
    half = "Exchange-current density for lithium metal electrode [A.m-2]" in \
        parameter_values.keys()
    if half and role in ("cell", "anode"):
        raise ValueError(f"role {role!r}: these are half-cell values (a metal counter "
                         "electrode); import role='cathode' and 'electrolyte' and write the "
                         "half cell's counter_electrode by hand")
    stem = _stem(name or "imported")
    targets = {"cell": [f"cells/{stem}.yaml", f"materials/{stem}_cathode.yaml",
                        f"materials/{stem}_anode.yaml", f"electrolytes/{stem}.yaml"],
               "electrolyte": [f"electrolytes/{stem}.yaml"]}.get(
        role, [f"materials/{stem}_{role}.yaml"]) + [f"materials/{stem}"]
    taken = [t for t in targets if (Path(out) / t).exists()]
    if taken and not overwrite:
        raise ValueError(f"{out}: {', '.join(taken)} exist(s); give overwrite=True "
                         "(--overwrite) or another out or name")
    writer = _Writer(parameter_values, Path(out), stem, source, discharged or {})
    rho = {"cathode": DEFAULT_DENSITY, "anode": DEFAULT_DENSITY, **(densities or {})}
    if role == "cell":
        parts = [writer.material("cathode", rho["cathode"]),
                 writer.material("anode", rho["anode"]), writer.electrolyte()]
        main = writer.cell(rho)
        load_cell(main)  # raises ParameterFileError naming file, field, value, expected
    else:
        main = writer.electrolyte() if role == "electrolyte" else writer.material(role,
                                                                                  rho[role])
        load_file(main)
        parts = []
    return [main, *parts, *(p for p in writer.written if p.suffix == ".csv")]
