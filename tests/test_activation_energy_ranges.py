"""Every activation energy in parameter_sets/ lies inside the range its source cites (issue 13):
the range is data in the source (``range: [low, high]`` in the value's unit, with
``range_source`` where the source itself cites nothing), and a value outside it is an error."""

from pathlib import Path

import pytest
import yaml
from pydantic import TypeAdapter

from nasim.params import ParameterFileError, load_cell
from nasim.params.quantities import Q, Quantity

ROOT = Path(__file__).resolve().parents[1]


def _activation_energies(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else key
            if key == "activation_energy":
                yield where, value
            else:
                yield from _activation_energies(value, where)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _activation_energies(value, f"{path}[{i}]")


FOUND = [(str(f.relative_to(ROOT)), where, q)
         for f in sorted((ROOT / "parameter_sets").rglob("*.yaml"))
         for where, q in _activation_energies(yaml.safe_load(f.read_text()))]


def test_there_are_activation_energies_to_check():
    assert len(FOUND) >= 12


@pytest.mark.parametrize(("file", "where", "q"), FOUND, ids=[f"{f}:{w}" for f, w, _ in FOUND])
def test_activation_energy_inside_its_cited_range(file, where, q):
    source = q["source"]
    assert "range" in source, f"{file}: {where} cites no range"
    low, high = source["range"]
    assert q["unit"] == "kJ/mol"
    assert low <= q["value"] <= high, f"{file}: {where} = {q['value']} outside [{low}, {high}]"
    if source["kind"] in ("fitted", "derived", "measured"):
        assert source.get("range_source"), f"{file}: {where}: range without its citation"


def test_a_value_outside_its_range_is_rejected():
    with pytest.raises(ValueError, match="outside the range"):  # checked with the field's
        TypeAdapter(Q("molar_energy")).validate_python({  # physical limits and bounds
            "value": 86.7, "unit": "kJ/mol", "source": {
                "kind": "assumed", "reason": "test", "range": [30, 70]}})
    with pytest.raises(ValueError, match="range_source"):
        Quantity.model_validate({"value": 50, "unit": "kJ/mol", "source": {
            "kind": "fitted", "data": "d", "method": "m", "range": [30, 70]}})


def test_bundled_cells_load_with_their_ranges():
    for cell in ("heo_half", "nfm_half", "heo_hc_full"):
        try:
            load_cell(ROOT / "parameter_sets" / "cells" / f"{cell}.yaml")
        except ParameterFileError as exc:  # pragma: no cover - the message is the point
            pytest.fail(str(exc))
