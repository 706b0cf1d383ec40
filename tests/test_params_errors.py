"""Bad parameter files: each gives one clear ParameterFileError naming the file, the field path
and (where there is one) the offending value.

Every test works on a copy of the bundled ``parameter_sets/`` tree in ``tmp_path``, edits one
YAML file and loads it again. No simulation is run.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from nasim.cli import main
from nasim.params import ParameterFileError, load_cell, load_file

REPO = Path(__file__).resolve().parents[1]
PARAMETER_SETS = REPO / "parameter_sets"
BUNDLED_FILES = sorted(
    p.relative_to(PARAMETER_SETS).as_posix()
    for sub in ("cells", "materials", "electrolytes")
    for p in (PARAMETER_SETS / sub).glob("*.yaml")
)

TEST_SOURCE = {"kind": "assumed", "exact": True, "reason": "test"}  # a test setting


# ----------------------------------------------------------------------------- helpers


@pytest.fixture
def psets(tmp_path: Path) -> Path:
    """A private copy of the whole parameter_sets/ tree."""
    return Path(shutil.copytree(PARAMETER_SETS, tmp_path / "parameter_sets"))


def edit_yaml(path: Path, change: Callable[[dict], None]) -> Path:
    """Load ``path``, apply ``change`` to the dict in place and write it back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def set_in(data: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    node = data
    for key in parents:
        node = node[key]
    node[last] = value


def load_error(loader, path: Path) -> ParameterFileError:
    """Run ``loader(path)`` and return the ParameterFileError it must raise."""
    with pytest.raises(ParameterFileError) as info:
        loader(path)
    return info.value


def assert_names(exc: ParameterFileError, file_name: str, *fragments: str) -> str:
    """The message names the file and every fragment (field path, value ...)."""
    text = str(exc)
    assert file_name in text, text
    assert exc.path.name == file_name
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} missing from:\n{text}"
    return text


def heo_half_path(psets: Path) -> Path:
    return psets / "cells" / "heo_half.yaml"


def edit_heo_half(psets: Path, dotted: str, value) -> Path:
    return edit_yaml(heo_half_path(psets), lambda d: set_in(d, dotted, value))


# ----------------------------------------------------------------------------- sanity


def test_copied_tree_loads(psets: Path) -> None:
    """The unmodified copy loads, so every failure below is caused by its one edit."""
    loaded = load_cell(heo_half_path(psets))
    assert loaded.configuration == "half"
    assert loaded.cell.cathode.porosity.si == pytest.approx(0.40)


def test_round_trip_through_safe_dump_still_loads(psets: Path) -> None:
    """Re-writing a file with yaml.safe_dump (anchors become explicit) changes nothing."""
    edit_yaml(heo_half_path(psets), lambda d: None)
    edit_yaml(psets / "materials" / "heo.yaml", lambda d: None)
    assert load_cell(heo_half_path(psets)).cell.cathode.loading.si == pytest.approx(0.025)


# ----------------------------------------------------------------------------- ranges


@pytest.mark.parametrize("value", [1.2, 0, 1, -0.1])
def test_cathode_porosity_outside_open_unit_interval(psets: Path, value) -> None:
    # an exact source: the schema's bounds, not the file's plausible range, are under test
    edit_heo_half(psets, "cathode.porosity", {"value": value, "unit": "1", "source": TEST_SOURCE})
    exc = load_error(load_cell, heo_half_path(psets))
    text = assert_names(exc, "heo_half.yaml", "cathode.porosity", f"value={value!r}")
    assert "outside the expected range" in text
    assert len(exc.problems) == 1, exc.problems


@pytest.mark.parametrize("value", [-5, 0])
def test_separator_thickness_not_positive(psets: Path, value) -> None:
    edit_heo_half(psets, "separator.thickness.value", value)
    exc = load_error(load_cell, heo_half_path(psets))
    assert_names(exc, "heo_half.yaml", "separator.thickness", f"value={value!r}", "um")
    assert len(exc.problems) == 1, exc.problems


def test_material_particle_radius_zero(psets: Path) -> None:
    """The error is in the material file, so it names heo.yaml, not the cell file."""
    edit_yaml(psets / "materials" / "heo.yaml", lambda d: set_in(d, "particle_radius.value", 0))
    exc = load_error(load_cell, heo_half_path(psets))
    assert_names(exc, "heo.yaml", "particle_radius", "value=0")
    assert len(exc.problems) == 1, exc.problems


def test_cathode_loading_negative(psets: Path) -> None:
    edit_heo_half(psets, "cathode.loading.value", -1)
    exc = load_error(load_cell, heo_half_path(psets))
    assert_names(exc, "heo_half.yaml", "cathode.loading", "-1", "mg/cm2")
    assert len(exc.problems) == 1, exc.problems


def test_inverted_stoichiometry_window(psets: Path) -> None:
    def invert(d: dict) -> None:
        set_in(d, "stoichiometry_window.charged.value", 0.95)
        set_in(d, "stoichiometry_window.discharged.value", 0.4)

    heo = edit_yaml(psets / "materials" / "heo.yaml", invert)
    for loader, path in ((load_file, heo), (load_cell, heo_half_path(psets))):
        exc = load_error(loader, path)
        assert_names(exc, "heo.yaml", "stoichiometry_window", "0.95", "0.4")
        assert len(exc.problems) == 1, exc.problems


# ----------------------------------------------------------------------------- sources, units


def test_missing_source(psets: Path) -> None:
    edit_yaml(heo_half_path(psets), lambda d: d["cathode"]["porosity"].pop("source"))
    exc = load_error(load_cell, heo_half_path(psets))
    text = assert_names(exc, "heo_half.yaml", "cathode.porosity.source")
    assert "source" in text and "required" in text
    assert len(exc.problems) == 1, exc.problems


def test_imported_source_needs_from(psets: Path) -> None:
    """kind: imported carries where the value came from; with it the file loads."""
    edit_heo_half(psets, "cathode.porosity.source", {"kind": "imported", "key": "porosity"})
    exc = load_error(load_cell, heo_half_path(psets))
    assert_names(exc, "heo_half.yaml", "cathode.porosity.source.imported.from")
    edit_heo_half(psets, "cathode.porosity.source", {"kind": "imported", "from": "x.json",
                                                     "key": "Positive electrode/Porosity"})
    source = load_cell(heo_half_path(psets)).cell.cathode.porosity.source
    assert source.describe() == "imported from x.json (Positive electrode/Porosity)"


def test_unknown_unit(psets: Path) -> None:
    edit_heo_half(psets, "cathode.loading.unit", "mg/xyz2")
    exc = load_error(load_cell, heo_half_path(psets))
    text = assert_names(exc, "heo_half.yaml", "cathode.loading", "mg/xyz2")
    assert "areal_mass" in text and "mg/cm2" in text  # the dimension and example spellings
    assert len(exc.problems) == 1, exc.problems


def test_unit_of_wrong_dimension(psets: Path) -> None:
    edit_heo_half(psets, "separator.thickness.unit", "mg/cm2")
    exc = load_error(load_cell, heo_half_path(psets))
    text = assert_names(exc, "heo_half.yaml", "separator.thickness", "mg/cm2")
    assert "length" in text and "'um'" in text
    assert len(exc.problems) == 1, exc.problems


# ----------------------------------------------------------------------------- tables


def _write_bumpy_ocv(source: Path, target: Path) -> None:
    """Copy an OCV CSV, making the (decreasing) voltage column go up between rows 3 and 4."""
    with open(source, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    body[2][1] = str(float(body[1][1]) + 0.05)  # row 4 of the file: above row 3
    with open(target, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *body])


def test_non_monotonic_ocv_table(psets: Path) -> None:
    tables = psets / "materials" / "chayambuka2022"
    _write_bumpy_ocv(tables / "U_n.csv", tables / "U_n_bumpy.csv")
    hc = edit_yaml(
        psets / "materials" / "hard_carbon.yaml",
        lambda d: set_in(d, "open_circuit_potential.table.file", "chayambuka2022/U_n_bumpy.csv"),
    )
    exc = load_error(load_file, hc)
    text = assert_names(exc, "hard_carbon.yaml", "open_circuit_potential", "U_n_bumpy.csv")
    assert "decreasing" in text and "1.26983" in text  # the value that goes up
    assert len(exc.problems) == 1, exc.problems
    # through the full cell that uses it, the same error
    exc = load_error(load_cell, psets / "cells" / "heo_hc_full.yaml")
    assert_names(exc, "hard_carbon.yaml", "open_circuit_potential", "U_n_bumpy.csv")


def test_non_monotonic_table_names_the_offending_row(psets: Path) -> None:
    """The voltage rises on line 4 of the CSV (x = 0.00811789 there); the message should say
    row 4, the row whose x value it prints."""
    tables = psets / "materials" / "chayambuka2022"
    _write_bumpy_ocv(tables / "U_n.csv", tables / "U_n_bumpy.csv")
    hc = edit_yaml(
        psets / "materials" / "hard_carbon.yaml",
        lambda d: set_in(d, "open_circuit_potential.table.file", "chayambuka2022/U_n_bumpy.csv"),
    )
    text = str(load_error(load_file, hc))
    assert "0.00811789" in text
    assert "row 4" in text, text


def test_non_increasing_x_column_names_the_offending_row(psets: Path) -> None:
    tables = psets / "materials" / "chayambuka2022"
    with open(tables / "U_n.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows[4][0] = rows[3][0]  # line 5 repeats the x of line 4
    with open(tables / "U_n_flat.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    hc = edit_yaml(
        psets / "materials" / "hard_carbon.yaml",
        lambda d: set_in(d, "open_circuit_potential.table.file", "chayambuka2022/U_n_flat.csv"),
    )
    text = str(load_error(load_file, hc))
    assert "must increase strictly" in text and "U_n_flat.csv" in text
    assert "row 5" in text, text


def test_missing_table_file(psets: Path) -> None:
    hc = edit_yaml(
        psets / "materials" / "hard_carbon.yaml",
        lambda d: set_in(d, "diffusivity.table.file", "nope.csv"),
    )
    exc = load_error(load_file, hc)
    assert_names(exc, "hard_carbon.yaml", "diffusivity", "nope.csv", "not found")
    assert len(exc.problems) == 1, exc.problems


def test_missing_table_file_in_electrolyte(psets: Path) -> None:
    edit_yaml(
        psets / "electrolytes" / "napf6_ecpc.yaml",
        lambda d: set_in(d, "conductivity.table.file", "nope.csv"),
    )
    exc = load_error(load_cell, heo_half_path(psets))
    assert_names(exc, "napf6_ecpc.yaml", "conductivity", "nope.csv", "not found")


# ----------------------------------------------------------------------------- structure


def test_missing_material_file(psets: Path) -> None:
    edit_heo_half(psets, "cathode.material", "../materials/missing.yaml")
    exc = load_error(load_cell, heo_half_path(psets))
    assert_names(exc, "heo_half.yaml", "cathode.material", "missing.yaml", "not found")
    assert len(exc.problems) == 1, exc.problems


def test_unknown_field_typo(psets: Path) -> None:
    edit_yaml(heo_half_path(psets),
              lambda d: d["cathode"].__setitem__("porosty", d["cathode"].pop("porosity")))
    exc = load_error(load_cell, heo_half_path(psets))
    text = assert_names(exc, "heo_half.yaml", "cathode.porosty", "unknown field")
    assert "cathode.porosity" in text  # and the correctly spelled field is reported missing


def test_unknown_extra_field(psets: Path) -> None:
    edit_yaml(psets / "materials" / "heo.yaml", lambda d: d.__setitem__("colour", "black"))
    exc = load_error(load_file, psets / "materials" / "heo.yaml")
    assert_names(exc, "heo.yaml", "colour", "unknown field", "black")
    assert len(exc.problems) == 1, exc.problems


def test_mass_fractions_not_summing_to_one(psets: Path) -> None:
    edit_heo_half(psets, "cathode.carbon_mass_fraction.value", 0.2)
    exc = load_error(load_cell, heo_half_path(psets))
    text = assert_names(exc, "heo_half.yaml", "cathode", "carbon_mass_fraction", "1.1")
    assert "expected 1" in text
    assert len(exc.problems) == 1, exc.problems


def test_thickness_too_small_for_loading(psets: Path) -> None:
    edit_heo_half(psets, "cathode.thickness",
                  {"value": 1, "unit": "um", "source": TEST_SOURCE})
    exc = load_error(load_cell, heo_half_path(psets))
    text = assert_names(exc, "heo_half.yaml", "cathode.thickness", "1 um", "2.5 mg/cm2")
    assert "too thin" in text
    assert len(exc.problems) == 1, exc.problems


def test_python_tag_is_rejected_not_executed(psets: Path, tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    path = heo_half_path(psets)
    text = path.read_text(encoding="utf-8").replace(
        "name: HEO || Na half cell",
        f'name: !!python/object/apply:os.system ["touch {marker}"]',
    )
    assert "python/object" in text
    path.write_text(text, encoding="utf-8")
    exc = load_error(load_cell, path)
    assert_names(exc, "heo_half.yaml", "python/object")
    assert not marker.exists()


# ----------------------------------------------------------------------------- more cell cases

_ASSUMED = TEST_SOURCE


@pytest.mark.parametrize(
    ("edits", "fragments"),
    [
        pytest.param({"cathode.porosity.value": "abc"}, ["cathode.porosity.value", "'abc'"],
                     id="non-numeric"),
        pytest.param({"cathode.porosity.value": float("nan")}, ["cathode.porosity", "nan"],
                     id="nan"),
        pytest.param({"cathode.loading.value": float("inf")}, ["cathode.loading", "inf"],
                     id="inf"),
        pytest.param({"cathode.loading": 2.5}, ["cathode.loading", "2.5"], id="bare-number"),
        pytest.param({"cathode.porosity.source": {"kind": "guessed", "reason": "x"}},
                     ["cathode.porosity.source", "guessed", "assumed"], id="source-kind"),
        pytest.param({"cathode.porosity.value": 140, "cathode.porosity.unit": "%",
                      "cathode.porosity.source": _ASSUMED},
                     ["cathode.porosity", "140 %", "1.4"], id="porosity-percent"),
        pytest.param({"voltage_window.lower.value": 4.5}, ["voltage_window", "4.5", "4.2"],
                     id="voltage-window-inverted"),
        pytest.param({"ambient_temperature.value": -300},
                     ["ambient_temperature", "-300 degC", "-26.85"], id="below-0K"),
        pytest.param({"electrode_area.value": 0}, ["electrode_area", "value=0", "cm2"],
                     id="area-zero"),
        pytest.param({"cathode.material": "../materials/hard_carbon.yaml"},
                     ["cathode.material", "hard_carbon.yaml", "expected a cathode"],
                     id="anode-material-as-cathode"),
        pytest.param({"np_ratio": {"value": 1.1, "unit": "1", "source": _ASSUMED}},
                     ["np_ratio", "full cells"], id="np-ratio-in-half-cell"),
    ],
)
def test_more_bad_cell_values(psets: Path, edits: dict, fragments: list[str]) -> None:
    def change(d: dict) -> None:
        for dotted, value in edits.items():
            set_in(d, dotted, value)

    edit_yaml(heo_half_path(psets), change)
    exc = load_error(load_cell, heo_half_path(psets))
    assert_names(exc, "heo_half.yaml", *fragments)
    assert len(exc.problems) == 1, exc.problems


def test_wrong_kind_of_referenced_file_names_the_cell_field(psets: Path) -> None:
    edit_heo_half(psets, "cathode.material", "../electrolytes/napf6_ecpc.yaml")
    exc = load_error(load_cell, heo_half_path(psets))
    assert "electrolyte" in str(exc)
    assert_names(exc, "heo_half.yaml", "cathode.material", "napf6_ecpc.yaml")


def test_material_values_name_the_material_file(psets: Path) -> None:
    heo = edit_yaml(psets / "materials" / "heo.yaml",
                    lambda d: set_in(d, "diffusivity.arrhenius.activation_energy.value", -3))
    exc = load_error(load_file, heo)
    assert_names(exc, "heo.yaml", "diffusivity.arrhenius.activation_energy", "-3 kJ/mol")


def test_bad_formula_in_material(psets: Path) -> None:
    heo = edit_yaml(psets / "materials" / "heo.yaml", lambda d: set_in(d, "formula", "NaXy2O2"))
    exc = load_error(load_file, heo)
    assert_names(exc, "heo.yaml", "formula", "NaXy2O2", "'Xy'")


def test_not_a_mapping(psets: Path) -> None:
    heo_half_path(psets).write_text("- just\n- a list\n", encoding="utf-8")
    exc = load_error(load_cell, heo_half_path(psets))
    assert_names(exc, "heo_half.yaml", "mapping")


def test_missing_cell_file(psets: Path) -> None:
    exc = load_error(load_cell, psets / "cells" / "no_such_cell.yaml")
    assert_names(exc, "no_such_cell.yaml", "not found")


def test_boolean_value_is_rejected(psets: Path) -> None:
    edit_heo_half(psets, "cathode.loading.value", True)
    exc = load_error(load_cell, heo_half_path(psets))
    assert_names(exc, "heo_half.yaml", "cathode.loading")


# ----------------------------------------------------------------------------- CLI


def test_cli_validate_bad_file_returns_2(psets: Path, capsys) -> None:
    path = edit_heo_half(psets, "cathode.porosity.value", 1.2)
    assert main(["params", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "porosity" in err and "heo_half.yaml" in err and "1.2" in err


@pytest.mark.parametrize("relpath", BUNDLED_FILES)
def test_cli_validate_bundled_files(relpath: str, capsys) -> None:
    rc = main(["params", "validate", str(PARAMETER_SETS / relpath)])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert out.startswith("OK:")


def test_bundled_file_list_is_complete() -> None:
    assert "cells/heo_half.yaml" in BUNDLED_FILES
    assert "materials/heo.yaml" in BUNDLED_FILES
    assert "electrolytes/napf6_ecpc.yaml" in BUNDLED_FILES
