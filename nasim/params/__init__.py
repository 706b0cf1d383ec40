"""Parameter files: schema, units, provenance, loading and conversion to PyBaMM."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nasim.params.loading import LoadedCell, ParameterFileError, load_cell, load_file, read_yaml
from nasim.params.provenance import cell_provenance, provenance_table


def parameter_table(path: str | Path) -> pd.DataFrame:
    """Every value of a parameter file (a cell includes the files it references) with its unit
    and source."""
    path = Path(path)
    if read_yaml(path.resolve()).get("kind") == "cell":
        return cell_provenance(load_cell(path))
    return provenance_table(load_file(path), path.name)


__all__ = ["LoadedCell", "ParameterFileError", "load_cell", "load_file", "parameter_table"]
