"""Provenance: every value of a parameter file (or a cell and the files it references) with its
unit, SI value and source, as a table; and the list of distinct sources a run rests on."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from nasim.params.bundle import resolve
from nasim.params.loading import LoadedCell, ParameterFileError, load_cell, load_file, read_yaml
from nasim.params.quantities import Quantity, StateFunction
from nasim.params.schema import ActiveMaterial
from nasim.params.sources import describe

if TYPE_CHECKING:  # pandas is imported where a table is built: `nasim params validate` only
    import pandas as pd  # counts rows and starts faster without it

COLUMNS = ["file", "parameter", "value", "unit", "si_value", "si_unit", "range", "source_kind",
           "source"]


def _function_text(fn: StateFunction) -> str:
    if fn.value is not None:
        return f"{fn.value:g}"
    if fn.table is not None:
        return f"table {fn.table.file} ({fn.table.y_column} vs {fn.table.x})"
    return f"msmr, {len(fn.closed_form.reactions)} reactions"


def range_text(source) -> str:
    """A source's range as printed by ``nasim params show``: ``low to high`` (in the value's
    unit), ``+/-r %``, ``exact``, a fit's 95 % interval, or empty."""
    if source.range is not None:
        return f"{source.range[0]:g} to {source.range[1]:g}"
    if source.relative is not None:
        return f"+/-{100 * source.relative:g} %"
    fit = getattr(source, "uncertainty", None)
    if fit is not None:
        return f"{fit.interval_95[0]:.4g} to {fit.interval_95[1]:.4g} (95 %, fit {fit.fit})"
    return "exact" if source.exact else ""


def _rows(model: BaseModel, prefix: str, file: str) -> list[dict]:
    rows = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, Quantity):
            rows.append({"file": file, "parameter": path, "value": value.value,
                         "unit": value.unit, "si_value": value.si, "si_unit": value.si_unit,
                         "range": range_text(value.source), "source_kind": value.source.kind,
                         "source": describe(value.source)})
        elif isinstance(value, StateFunction):
            rows.append({"file": file, "parameter": path, "value": _function_text(value),
                         "unit": value.unit, "si_value": value.value * value.scale
                         if value.value is not None else None, "si_unit": "",
                         "range": range_text(value.source), "source_kind": value.source.kind,
                         "source": describe(value.source)})
            for sub in ("stoichiometry_factor", "arrhenius", "closed_form"):
                part = getattr(value, sub)
                if part is not None:
                    rows += _rows(part, f"{path}.{sub}.", file)
        elif isinstance(value, BaseModel):
            rows += _rows(value, f"{path}.", file)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    label = getattr(item, "name", i)
                    rows += _rows(item, f"{path}[{label}].", file)
    return rows


def _derived_rows(material: ActiveMaterial, file: str) -> list[dict]:
    return [{"file": file, "parameter": name, "value": value, "unit": unit, "si_value": value,
             "si_unit": unit, "source_kind": "derived", "source": f"derived by nasim: {how}"}
            for name, value, unit, how in material.derived_values()]


def provenance_rows(model: BaseModel, file: str = "") -> list[dict]:
    """Every value of one validated file, one row (dict of :data:`COLUMNS`) each."""
    rows = _rows(model, "", file)
    if isinstance(model, ActiveMaterial):
        rows += _derived_rows(model, file)
    return rows


def provenance_table(model: BaseModel, file: str = "") -> pd.DataFrame:
    """Every value of one validated file, one row each."""
    import pandas as pd

    return pd.DataFrame(provenance_rows(model, file), columns=COLUMNS)


def cell_provenance_rows(loaded: LoadedCell) -> list[list[dict]]:
    """The rows of :func:`cell_provenance`, one list per file and one of derived values."""
    files = loaded.files()
    parts = [provenance_rows(loaded.cell, files["cell"].name)]
    for role in ("cathode", "anode", "counter_electrode", "electrolyte"):
        model = getattr(loaded, role)
        if model is not None:
            parts.append(provenance_rows(model, files[role].name))
    design = loaded.design
    derived = []
    for role, geom in (("cathode", design.cathode), ("anode", design.anode)):
        if geom is None:
            continue
        for name, value, unit, how in (
            ("thickness", geom.thickness_m, "m",
             "loading/w_a (w_a/rho_a + w_b/rho_b + w_c/rho_c)/(1 - porosity)"
             if geom.thickness_derived else "given"),
            ("active_volume_fraction", geom.active_volume_fraction, "1",
             "loading / (rho_active thickness)"),
            ("loading", geom.loading_kg_per_m2, "kg/m2",
             "N/P x cathode window capacity / anode window capacity"
             if role == "anode" and design.anode_loading_derived else "given"),
        ):
            if how != "given":
                derived.append({"file": files["cell"].name, "parameter": f"{role}.{name}",
                                "value": value, "unit": unit, "si_value": value, "si_unit": unit,
                                "source_kind": "derived", "source": f"derived by nasim: {how}"})
    if loaded.cell.thermal is not None:
        derived += _thermal_rows(loaded, files["cell"].name)
    return [*parts, derived]


def cell_provenance(loaded: LoadedCell) -> pd.DataFrame:
    """Every value of a cell and of the files it references, plus the derived design values."""
    import pandas as pd

    parts = [pd.DataFrame(rows, columns=COLUMNS) for rows in cell_provenance_rows(loaded)]
    return pd.concat([p for p in parts if not p.empty], ignore_index=True)


def _is_cell(path: Path) -> bool:
    return read_yaml(path).get("kind") == "cell"


#: the kinds of parameter file a bare name may stand for (bundled files, nasim.params.bundle)
_NAMED_KINDS = ("cell", "material", "electrolyte")


def parameter_rows(path: str | Path) -> list[dict]:
    """The rows of :func:`parameter_table` (validating the file, and a cell's references)."""
    path = resolve(path, *_NAMED_KINDS)
    if _is_cell(path):
        return [row for part in cell_provenance_rows(load_cell(path)) for row in part]
    return provenance_rows(load_file(path), path.name)


def parameter_table(path: str | Path) -> pd.DataFrame:
    """Every value of a parameter file with its unit and source.

    Parameters
    ----------
    path
        A cell, material or electrolyte file, or a bundled name (``"heo_half"``,
        ``"heo"``); a cell includes the files it references.

    Returns
    -------
    pandas.DataFrame
        One row per value: ``file``, ``parameter``, ``value``, ``unit``, ``si_value``,
        ``si_unit`` and ``source``.

    Raises
    ------
    ParameterFileError
        The file is missing or invalid.

    Examples
    --------
    >>> table = nasim.parameter_table("parameter_sets/cells/heo_half.yaml")
    >>> table[["parameter", "value", "unit", "source"]].head()
    """
    path = resolve(path, *_NAMED_KINDS)
    if _is_cell(path):
        return cell_provenance(load_cell(path))
    return provenance_table(load_file(path), path.name)


def _thermal_rows(loaded: LoadedCell, file: str) -> list[dict]:
    """The cell's total heat capacity (lumped thermal runs), when every part of it is known."""
    from nasim.params.thermal import heat_capacity  # thermal -> budget imports pandas

    try:
        budget = heat_capacity(loaded)
    except ParameterFileError:  # a material without specific_heat_capacity
        return []
    how = "sum of mass x specific heat: " + "; ".join(f"{n} {c:.3g} J/K" for n, c, _ in
                                                      budget.rows)
    return [{"file": file, "parameter": "thermal.heat_capacity", "value": budget.total_J_per_K,
             "unit": "J/K", "si_value": budget.total_J_per_K, "si_unit": "J/K",
             "source_kind": "derived", "source": f"derived by nasim: {how}"}]


def sources_used(table: pd.DataFrame) -> list[str]:
    """Distinct literature, measurement, fit and import sources (the 'citations' of a run)."""
    keep = table[table.source_kind.isin(["literature", "measured", "fitted", "imported"])]
    return sorted(set(keep.source))
