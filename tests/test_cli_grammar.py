"""One CLI grammar: `nasim` alone prints the verbs, --help shows defaults, --out means the same
on every verb that runs a model, every current form where a current is taken, a human table
by default and rounded --json, wall times that include everything, range-checked numbers."""

from __future__ import annotations

import json
import re
import time

import pytest
import yaml
from conftest import CELLS

import nasim
from nasim.cli import main

VERBS = ("params", "material", "list", "export-bpx", "import-bpx", "simulate", "energy", "replay",
         "sweep", "fit")
RUNS = ("simulate", "energy", "replay", "sweep", "fit")


def test_nasim_alone_prints_the_verbs(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: nasim")
    for verb in VERBS:
        assert re.search(rf"^\s+{verb}\s", out, re.M), verb


def test_help_lists_every_verb_and_shows_defaults(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(re.search(rf"^\s+{verb}\s", out, re.M) for verb in VERBS)
    assert main(["simulate", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: DFN)" in text and "(default: 300)" in text and "(default: png)" in text
    assert "(default: None)" not in text


@pytest.mark.parametrize("verb", RUNS)
def test_out_means_the_same_on_every_verb(verb, capsys):
    assert main([verb, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--out DIR" in text
    assert "run.json and solver.log; a folder holding another run is refused unless " \
           "--overwrite" in text
    for option in ("--format", "--dpi", "--json", "--quiet", "--verbose"):
        assert option in text


@pytest.mark.parametrize("verb", ["simulate", "energy"])
def test_every_current_form(verb, capsys):
    assert main([verb, "--help"]) == 0
    text = capsys.readouterr().out
    for form in ("--c-rate", "--current-mA-per-g", "--current-mA-per-cm2", "--current-A"):
        assert form in text


def test_current_forms_give_the_same_run(tmp_path, capsys):
    cell = nasim.load_cell(CELLS / "heo_half.yaml")
    amps = cell.one_c_current_A
    per_cm2 = amps * 1e3 / (cell.design.area_m2 * 1e4)
    printed = []
    for i, form in enumerate((["--c-rate", "1"], ["--current-A", repr(amps)],
                              ["--current-mA-per-cm2", repr(per_cm2)],
                              ["--current-mA-per-g", "150"])):
        assert main(["simulate", str(CELLS / "heo_half.yaml"), "--model", "SPM", *form,
                     "--out", str(tmp_path / str(i)), "--json"]) == 0
        printed.append(json.loads(capsys.readouterr().out))
    for p in printed:
        assert p["current_A"] == pytest.approx(amps, rel=1e-5)
        assert p["capacity_mAh_per_g"] == pytest.approx(printed[0]["capacity_mAh_per_g"],
                                                        rel=1e-5)


def test_human_table_by_default_and_wall_time_includes_writing(tmp_path, capsys):
    tic = time.perf_counter()
    assert main(["simulate", str(CELLS / "heo_half.yaml"), "--model", "SPM", "--c-rate", "1",
                 "--out", str(tmp_path / "run")]) == 0
    elapsed = time.perf_counter() - tic
    out = capsys.readouterr().out
    assert not out.lstrip().startswith("{")
    assert re.search(r"capacity mAh per g\s+1\d\d\.\d\b", out)
    wall = float(re.search(r"\(([\d.]+) s\)", out).group(1))
    assert 0.8 * elapsed - 0.1 <= wall <= elapsed + 0.1


@pytest.mark.parametrize(("args", "fragment"), [
    (["--c-rate", "1", "--temperature-C", "-300"], "--temperature-C -300: outside -273 to 1700"),
    (["--c-rate", "1", "--temperature-C", "nan"], "--temperature-C nan: expected a finite"),
    (["--c-rate", "0"], "--c-rate 0: outside"),
    (["--c-rate", "1", "--mesh-points", "2"], "--mesh-points 2: outside"),
    (["--c-rate", "1", "--dpi", "5"], "--dpi 5: outside"),
])
def test_numbers_are_range_checked(args, fragment, tmp_path, capsys):
    """Exit 2 on one line naming the option, before any folder is touched; --out is checked
    after the numbers, so the must-show command without --out names the temperature."""
    code = main(["simulate", str(CELLS / "heo_half.yaml"), *args])
    err = capsys.readouterr().err.strip()
    assert code == 2 and fragment in err and len(err.splitlines()) == 1, err


def test_cold_failure_hint_names_the_temperature(tmp_path, capsys):
    code = main(["simulate", str(CELLS / "heo_half.yaml"), "--c-rate", "1", "--temperature-C",
                 "-60", "--out", str(tmp_path / "cold")])
    err = capsys.readouterr().err
    assert code == 1
    assert "likely cause: the temperature" in err and "carry" not in err


def test_replay_gitt_writes_voltage_time(tmp_path, capsys):
    protocol = yaml.safe_load((CELLS / "../../experiments/heo_half_gitt.yaml").read_text())
    protocol["cell"] = str(CELLS / "heo_half.yaml")
    for item in protocol["steps"]:
        item["gitt"]["count"] = 3
    (tmp_path / "gitt.yaml").write_text(yaml.safe_dump(protocol))
    out = tmp_path / "D"
    assert main(["replay", str(tmp_path / "gitt.yaml"), "--model", "SPM", "--out", str(out),
                 "--format", "svg"]) == 0
    assert (out / "voltage_time.svg").is_file() and (out / "gitt_diffusivity.svg").is_file()
    assert (out / "solver.log").is_file()
    printed = capsys.readouterr().out
    assert "gitt_charge pulse" not in printed.split("\n")[0]
