"""Implausible but legal values: one warning line each (file, field, value, plausible range),
once per value, and the run goes on (exit 0); the bundled files give none."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest
from conftest import CELLS, ROOT

from nasim.cli import main
from nasim.params import plausible


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def psets(tmp_path) -> Path:
    (tmp_path / ".nasim-project").touch()
    return Path(shutil.copytree(ROOT / "parameter_sets", tmp_path / "parameter_sets"))


@pytest.mark.parametrize("file, old, new, fragments", [
    ("cells/heo_half.yaml", "ambient_temperature: {value: 25, unit: degC",
     "ambient_temperature: {value: 25, unit: K",
     ["heo_half.yaml", "field 'ambient_temperature' = 25 K", "-60 to 120 degC"]),
    # the file's plausible range goes with the edit (a value outside it is an error, issue 14)
    ("cells/heo_half.yaml", "loading: {value: 2.5, unit: mg/cm2, source: {kind: assumed, "
     "range: [1.5, 5],", "loading: {value: 500, unit: mg/cm2, source: {kind: assumed, "
     "exact: true,", ["heo_half.yaml", "field 'cathode.loading' = 500 mg/cm2",
                      "0.1 to 100 mg/cm2"]),
    ("cells/heo_half.yaml", 'porosity: {value: 0.40, unit: "1", source: {kind: assumed, '
     "range: [0.3, 0.5],", 'porosity: {value: 0.95, unit: "1", source: {kind: assumed, '
     "exact: true,", ["field 'cathode.porosity' = 0.95 1", "0.05 to 0.8 1"]),
    ("materials/heo.yaml", "particle_radius:\n  value: 0.5\n",
     "particle_radius:\n  value: 500\n",
     ["heo.yaml", "field 'particle_radius' = 500 um", "0.005 to 100 um"]),
])
def test_implausible_cell_values_warn_once(psets, capsys, file, old, new, fragments):
    _edit(psets / file, old, new)
    cell = str(psets / "cells" / "heo_half.yaml")
    assert main(["params", "validate", cell]) == 0
    assert main(["params", "validate", cell]) == 0  # the same value: not again
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("warning: ") and "implausible" in err[0]
    for fragment in fragments:
        assert fragment in err[0], (fragment, err[0])


def test_protocol_checked_against_the_cell_window(tmp_path):
    text = (ROOT / "experiments" / "heo_half_rate_25C.yaml").read_text(encoding="utf-8")
    text = text.replace("../parameter_sets/", f"{ROOT}/parameter_sets/")
    text = text.replace("hold: {voltage: 4.2 V", "hold: {voltage: 5.0 V")
    text = text.replace("rates: [0.2 C,", "rates: [200 C,").replace("temperature: 25 degC",
                                                                   "temperature: 25 K")
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    from nasim.protocols import load_protocol

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_protocol(path)
    lines = [str(w.message) for w in caught if w.category is plausible.ImplausibleValue]
    assert any("field 'steps[0].before_each[1].voltage' = 5 V" in m
               and "voltage window 2 to 4.2 V" in m for m in lines), lines
    assert any("field 'steps[0].rates[0]' = 200 C" in m and "at most 100 C" in m
               for m in lines), lines
    assert any("field 'temperature' = 25 K" in m for m in lines), lines
    assert all(str(path) in m for m in lines) and len(lines) == 3, lines


def test_the_bundled_files_are_plausible():
    from nasim.params.loading import load_cell
    from nasim.protocols import load_protocol

    with warnings.catch_warnings():
        warnings.simplefilter("error", plausible.ImplausibleValue)
        for cell in sorted(CELLS.glob("*.yaml")):
            load_cell(cell)
        for protocol in sorted((ROOT / "experiments").glob("*.yaml")):
            load_protocol(protocol)


@pytest.mark.parametrize("field, si, warned", [
    ("ambient_temperature", 25.0, True), ("ambient_temperature", 298.15, False),
    ("diffusivity.arrhenius.reference_temperature", 25.0, True),
    ("separator.porosity", 0.91, False), ("cathode.porosity", 0.91, True),
    ("cathode.loading", 0.025, False), ("cathode.thickness", 1.0, False),
])
def test_rule_lookup(tmp_path, field, si, warned):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plausible.check(tmp_path / "f.yaml", field, si, f"{si:g}")
    assert bool(caught) is warned


def test_study_axes_of_temperature_and_c_rate(tmp_path, capsys):
    """A study whose temperature axis is in K where degC was meant, and a C-rate axis up to
    500C: one warning each at load, naming the study file and the axis."""
    from nasim.sweep import load_study

    study = tmp_path / "s.yaml"
    study.write_text(f"kind: study\nname: s\ncell: {CELLS / 'heo_half.yaml'}\nmodel: SPM\n"
                     "axes:\n  - {parameter: temperature, unit: K, values: [25, 298.15]}\n"
                     "  - {parameter: current, unit: C, values: [1, 500]}\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_study(study)
    lines = [str(w.message) for w in caught if w.category is plausible.ImplausibleValue]
    assert lines == [
        f"{study}: field 'axes[0] (temperature)' = 25 K is implausible; plausible range -60 "
        "to 120 degC",
        f"{study}: field 'axes[1] (current)' = 500 C is implausible; expected at most 100 C"]


def test_command_line_temperature_and_c_rate(tmp_path, capsys):
    """298 given to --temperature-C (meant as K) and --c-rate 500: one warning line each,
    before the run (here refused at once: --out is a file)."""
    (tmp_path / "F").write_text("mine")
    code = main(["energy", str(CELLS / "heo_half.yaml"), "--c-rate", "500",
                 "--temperature-C", "298", "--out", str(tmp_path / "F")])
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and len(err) == 3, err
    assert err[:2] == [
        "warning: command line: field '--temperature-C' = 298 degC is implausible; "
        "plausible range -60 to 120 degC",
        "warning: command line: field '--c-rate' = 500 C is implausible; expected at most "
        "100 C"], err
