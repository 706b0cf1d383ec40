"""BPX import: a BPX file as nasim parameter files (:func:`from_bpx`).

PyBaMM's own reader (``ParameterValues.create_from_bpx``) turns the file into parameter values,
which :func:`nasim.interop.from_pybamm` writes as nasim files. From the BPX file itself come:
the stoichiometry limits as the materials' windows (the charged end is where PyBaMM starts: at
the limits of 100 % state of charge), the sources (``literature`` with the header's
``References`` as citation when it has any, else ``imported`` from the file) and what
:func:`nasim.to_bpx` wrote beside BPX's fields: a rate constant over stoichiometry under
``Parameterisation → User-defined`` replaces BPX's single value (with BPX's activation
energy), and the active-material densities in ``Header → Description`` (JSON ``{"nasim":
{...}}``) make per-mass figures equal to the exported cell's. A contact resistance under
User-defined is read by PyBaMM's reader as a parameter and so written too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pybamm

from nasim.interop.importing import SIDE, from_pybamm
from nasim.params.constants import FARADAY, GAS_CONSTANT

_K_TABLE = "{side} electrode reaction rate constant over stoichiometry [mol.m-2.s-1]"


def _notes(doc: dict) -> dict:
    """What nasim.to_bpx wrote in Header → Description (empty for other files)."""
    try:
        notes = json.loads(doc["Header"].get("Description", ""))
    except (TypeError, ValueError):
        return {}
    return notes.get("nasim", {}) if isinstance(notes, dict) else {}


def _rate_constant_table(values: pybamm.ParameterValues, side: str, ea: float) -> None:
    """Replace BPX's one rate constant by the User-defined table k(x) (BPX's k = nasim's k
    x c_max) in the exchange-current function: j0 = F k(x) sqrt(c_e/c_e0 x (1-x))."""
    table = values[_K_TABLE.format(side=side)]
    c_e0 = pybamm.Parameter("Initial concentration in electrolyte [mol.m-3]")
    t_ref = pybamm.Parameter("Reference temperature [K]")

    def j0(c_e, c_s_surf, c_s_max, T):
        x = c_s_surf / c_s_max
        arrhenius = pybamm.exp(ea / GAS_CONSTANT * (1.0 / t_ref - 1.0 / T))
        return FARADAY * table(x) * arrhenius * (c_e / c_e0) ** 0.5 * (x * (1.0 - x)) ** 0.5

    values.update({f"{side} electrode exchange-current density [A.m-2]": j0})


def from_bpx(path: str | Path, out: str | Path = ".", name: str | None = None,
             overwrite: bool = False) -> list[Path]:
    """Write the BPX file ``path`` as a nasim full cell (with its two materials and the
    electrolyte) under ``out`` (files of the same name there are an error unless
    ``overwrite``); returns the paths written, the cell file first. See the
    module docstring for what comes from where. Raises ValueError naming the file on a file
    that is not BPX (the ``bpx`` package's schema)."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        values = pybamm.ParameterValues.create_from_bpx(str(path))
    except Exception as exc:  # noqa: BLE001 - json, pydantic and PyBaMM errors alike
        raise ValueError(f"{path}: not a readable BPX file ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    notes = _notes(doc)
    params = doc["Parameterisation"]
    references = doc["Header"].get("References")
    via = f"BPX file {path.name} (read by PyBaMM {pybamm.__version__})"
    source = ({"kind": "literature", "citation": references, "note": via} if references
              else {"kind": "imported", "from": path.name})
    discharged = {}
    for role, side in SIDE.items():
        electrode = params[f"{side} electrode"]
        ea = float(electrode.get("Reaction rate constant activation energy [J.mol-1]", 0.0))
        if _K_TABLE.format(side=side) in values.keys():
            _rate_constant_table(values, side, ea)
        field = "Maximum stoichiometry" if role == "cathode" else "Minimum stoichiometry"
        limit = {"kind": "imported", "from": path.name, "key": f"{side} electrode/{field}",
                 "method": "the BPX limit of 0 % state of charge"}
        discharged[role] = {"value": float(electrode[field]), "unit": "1", "source": limit}
    stem = name or Path(str(notes.get("cell file", path.name))).stem
    return from_pybamm(values, role="cell", out=out, name=stem, source=source,
                       densities=notes.get("active material density [kg/m3]"),
                       discharged=discharged, overwrite=overwrite)
