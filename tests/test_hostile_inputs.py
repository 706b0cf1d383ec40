"""Hostile and broken inputs: each is refused with exit 2 and one line naming the file, the
field and what was expected, within a time bound; a seeded mutation test over the bundled
parameter files. In-process (``nasim.cli.main``) except where the process is the point."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CELLS, ROOT

from nasim.cli import main

PARAMETER_SETS = ROOT / "parameter_sets"
BOUND_S = 5.0


def _bomb(kind: str, levels: int = 9) -> str:
    """A "billion laughs": 9 aliases of 9 aliases ... (9^9 values) in a ~1 kB file."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return f"kind: {kind}\n" + "\n".join(lines) + f"\nname: *l{levels}\n"


def _refused(capsys, argv: list[str], *fragments: str) -> str:
    """``nasim argv`` exits 2 within the bound with one line holding every fragment."""
    tic = time.perf_counter()
    code = main(argv)
    elapsed = time.perf_counter() - tic
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert elapsed < BOUND_S, f"{elapsed:.1f} s"
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    return err


@pytest.fixture
def psets(tmp_path) -> Path:
    """A copy of the bundled parameter sets in a project of its own."""
    (tmp_path / ".nasim-project").touch()
    return Path(shutil.copytree(PARAMETER_SETS, tmp_path / "parameter_sets"))


# ----------------------------------------------------------------------------- bounded work

def test_alias_bomb_params_validate_in_a_fresh_process(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(_bomb("cell"))
    tic = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "nasim.cli", "params", "validate", str(path)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, "PYBAMM_DISABLE_TELEMETRY": "true"})
    assert time.perf_counter() - tic < BOUND_S
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "bomb.yaml" in done.stderr and "expands to more than" in done.stderr


@pytest.mark.parametrize("verb, kind", [("replay", "protocol"), ("sweep", "study"),
                                        ("fit", "fit")])
def test_alias_bomb_is_refused_by_every_verb(tmp_path, capsys, verb, kind):
    path = tmp_path / "bomb.yaml"
    path.write_text(_bomb(kind))
    _refused(capsys, [verb, str(path), "--out", str(tmp_path / "out")], "bomb.yaml",
             "expands to more than 200000 values")
    assert not (tmp_path / "out").exists()  # refused before the folder is touched


@pytest.mark.parametrize("body", [
    "a: &a [*a]\n",  # an alias inside its own anchor
    "x: " + "[" * 200 + "]" * 200 + "\n",
])
def test_recursive_and_deep_yaml(tmp_path, capsys, body):
    path = tmp_path / "c.yaml"
    path.write_text("kind: cell\n" + body)
    _refused(capsys, ["params", "validate", str(path)], "c.yaml", "YAML")


def test_oversized_yaml(tmp_path, capsys):
    path = tmp_path / "big.yaml"
    path.write_text("kind: cell\nx: [" + "1, " * 1_100_000 + "1]\n")
    _refused(capsys, ["params", "validate", str(path)], "big.yaml", "MB; the limit is 2 MB")


@pytest.mark.parametrize("axes, count", [
    ("  - {parameter: current, unit: C, range: {min: 0.1, max: 10, num: 1000}}\n"
     "  - {parameter: temperature, unit: degC, range: {min: 0, max: 50, num: 1000}}\n"
     "  - {parameter: cathode.loading, unit: mg/cm2, range: {min: 2, max: 10, num: 1000}}\n",
     "1000000000"),
    ("  - {parameter: current, unit: C, range: {min: 0.1, max: 10}}\n"
     "sampling: {method: lhs, samples: 1000000000}\n", "1000000000"),
])
def test_huge_study_is_refused_before_enumeration(tmp_path, capsys, axes, count):
    study = tmp_path / "huge.yaml"
    study.write_text(f"kind: study\nname: huge\ncell: {CELLS / 'heo_half.yaml'}\naxes:\n{axes}")
    _refused(capsys, ["sweep", str(study), "--out", str(tmp_path / "out")], "huge.yaml",
             count, "the limit is 100000")


# ----------------------------------------------------------------------------- numbers

def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("file, old, new, fragments", [
    ("electrolytes/napf6_ecpc.yaml", "  value: 1\n  unit: mol/L", "  value: 1e308\n  unit: mol/L",
     ["napf6_ecpc.yaml", "field 'concentration'", "1e+308 mol/L", "too large"]),
    ("electrolytes/napf6_ecpc.yaml", "  value: 1\n  unit: mol/L", "  value: 1000\n  unit: mol/L",
     ["field 'concentration'", "physical limit |value| <= 100000 mol/m3"]),
    ("cells/heo_half.yaml", "ambient_temperature: {value: 25,",
     "ambient_temperature: {value: 1.0e+308,", ["heo_half.yaml", "ambient_temperature",
                                                 "physical limit"]),
    ("cells/heo_half.yaml", "ambient_temperature: {value: 25,",
     "ambient_temperature: {value: .nan,", ["heo_half.yaml", "ambient_temperature", "finite"]),
])
def test_values_beyond_physics(psets, capsys, file, old, new, fragments):
    _edit(psets / file, old, new)
    _refused(capsys, ["params", "validate", str(psets / "cells" / "heo_half.yaml")], *fragments)


@pytest.mark.parametrize("cell", ["inf", "nan", "-inf", "1e999", "abc", ""])
def test_table_cells_must_be_finite_numbers(psets, capsys, cell):
    table = psets / "electrolytes" / "napf6_ecpc_diffusivity_fitted.csv"
    lines = table.read_text().splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0] + "," + cell
    table.write_text("\n".join(lines) + "\n")
    _refused(capsys, ["params", "validate", str(psets / "cells" / "heo_half.yaml")],
             "napf6_ecpc.yaml", "field 'diffusivity.table'", "row 3",
             "'Electrolyte diffusivity [m2.s-1]'", "expected a finite number")


def test_non_utf8_table(psets, capsys):
    table = psets / "electrolytes" / "napf6_ecpc_diffusivity_fitted.csv"
    table.write_bytes(table.read_bytes().replace(b"1.131153", b"1.13\xff153", 1))
    _refused(capsys, ["params", "validate", str(psets / "cells" / "heo_half.yaml")],
             "napf6_ecpc.yaml", "diffusivity.table", "not UTF-8", "0xff")


def _protocol(tmp_path: Path, curve_rows: str) -> Path:
    (tmp_path / "curve.csv").write_text("q,v\n" + curve_rows)
    path = tmp_path / "p.yaml"
    path.write_text(f"""kind: protocol
name: p
cell: {CELLS / 'heo_half.yaml'}
source: test
steps:
  - discharge:
      current: 1 C
      measured:
        source: test
        curve: {{file: curve.csv, capacity_column: q, voltage_column: v, capacity_unit: mAh/g,
                 source: test}}
""")
    return path


@pytest.mark.parametrize("rows, fragments", [
    ("0,4.1\n10,inf\n", ["row 3", "'v'", "finite number"]),
    ("0,4.1\n10,\n", ["row 3", "'v'"]),
])
def test_measured_curve_cells(tmp_path, capsys, rows, fragments):
    path = _protocol(tmp_path, rows)
    _refused(capsys, ["replay", str(path), "--out", str(tmp_path / "out")], "p.yaml",
             "field 'steps[0].measured.curve.file'", "curve.csv", *fragments)


def test_measured_curve_not_utf8_or_empty(tmp_path, capsys):
    path = _protocol(tmp_path, "0,4.1\n")
    (tmp_path / "curve.csv").write_bytes(b"\xff\xfeq,v\n")
    _refused(capsys, ["replay", str(path), "--out", str(tmp_path / "o1")], "p.yaml",
             "curve.file", "not UTF-8")
    (tmp_path / "curve.csv").write_bytes(b"")
    _refused(capsys, ["replay", str(path), "--out", str(tmp_path / "o2")], "p.yaml",
             "curve.file", "no column 'q'")


@pytest.mark.parametrize("axis, fragments", [
    ("{parameter: current, unit: C, values: [1, .nan]}", ["axes[0].values[1]", "finite number"]),
    ("{parameter: current, unit: C, values: [0, 1]}", ["axes", "currents must be > 0"]),
    ("{parameter: temperature, unit: degC, values: [25, -300]}", ["axes", "expected (0, 2000] K"]),
    ("{parameter: cathode.porosity, unit: '1', values: [0.4, -1]}",
     ["axis 'cathode.porosity'", "value -1 1", "expected range"]),
])
def test_study_axis_values(tmp_path, capsys, axis, fragments):
    study = tmp_path / "s.yaml"
    study.write_text(f"kind: study\nname: s\ncell: {CELLS / 'heo_half.yaml'}\naxes:\n  - {axis}\n")
    _refused(capsys, ["sweep", str(study), "--out", str(tmp_path / "out")], "s.yaml",
             *fragments)


def test_temperature_option_nan(capsys, tmp_path):
    _refused(capsys, ["simulate", str(CELLS / "heo_half.yaml"), "--model", "SPM", "--c-rate",
                      "1", "--temperature-C", "nan"], "--temperature-C nan", "finite")


# ----------------------------------------------------------------------------- messages

_RATE = ROOT / "experiments" / "heo_half_rate_25C.yaml"


@pytest.mark.parametrize("value, fragments", [
    ("abc", ["valid number", "got 'abc'"]),
    ("-1", ["greater than 0", "got -1"]),
    (".inf", ["finite number"]),
])
def test_rate_test_measured_value(tmp_path, capsys, value, fragments):
    """The path keeps ``measured``; one line, no pydantic text or URL."""
    path = tmp_path / "rate.yaml"
    path.write_text(_RATE.read_text(encoding="utf-8").replace(
        "../parameter_sets/", f"{ROOT}/parameter_sets/").replace("[150.18,", f"[{value},"))
    err = _refused(capsys, ["replay", str(path), "--out", str(tmp_path / "out")], "rate.yaml",
                   "field 'steps[0].rate_test.measured.capacity_mAh_per_g[0]'", *fragments)
    assert "pydantic" not in err and "http" not in err and "validation error" not in err


@pytest.mark.parametrize("cost", [".nan", ".inf", "1e999"])
def test_source_cost_must_be_finite(psets, capsys, cost):
    heo = psets / "materials" / "heo.yaml"  # the first cost in the file: the diffusivity's
    old = re.search(r'"?cost"?: [0-9.eE+-]+,', heo.read_text(encoding="utf-8")).group(0)
    _edit(heo, old, f"cost: {cost},")
    _refused(capsys, ["params", "validate", str(psets / "cells" / "heo_half.yaml")],
             "heo.yaml", "field 'diffusivity.source.cost'", "finite number")


@pytest.mark.parametrize("verb, kind", [("replay", "protocol"), ("sweep", "study"),
                                        ("fit", "fit")])
def test_yaml_syntax_errors_name_the_file_kind(tmp_path, capsys, verb, kind):
    path = tmp_path / "broken.yaml"
    path.write_text(f"kind: {kind}\nname: [x\n")
    err = _refused(capsys, [verb, str(path), "--out", str(tmp_path / "out")],
                   f"invalid {kind} file", "broken.yaml", "not valid YAML", "(line 3, column 1)")
    assert "parameter file" not in err


def test_material_outside_the_project_names_the_cell_field(psets, capsys):
    (psets.parent.parent / "outside.yaml").write_text("kind: cathode_material\n")
    _edit(psets / "cells" / "heo_half.yaml", "material: ../materials/heo.yaml",
          "material: ../../../outside.yaml")
    _refused(capsys, ["params", "validate", str(psets / "cells" / "heo_half.yaml")],
             "heo_half.yaml", "field 'cathode.material'", "points outside the project")


def test_missing_column_never_echoes_a_system_file(tmp_path, capsys):
    path = _protocol(tmp_path, "0,4.1\n")
    shutil.copyfile("/etc/passwd", tmp_path / "curve.csv")
    err = _refused(capsys, ["replay", str(path), "--out", str(tmp_path / "o1")], "p.yaml",
                   "field 'steps[0].measured.curve.file'", "no column 'q'",
                   "expected a CSV table with a header row")
    assert "root:" not in err and "/bin/" not in err
    (tmp_path / "curve.csv").write_text("capacity,voltage\n0,4.1\n")  # a real header is shown
    _refused(capsys, ["replay", str(path), "--out", str(tmp_path / "o2")],
             "no column 'q'", "columns: ['capacity', 'voltage']")


# ----------------------------------------------------------------------------- paths

def test_symlink_loop(tmp_path, capsys):
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    _refused(capsys, ["params", "validate", str(tmp_path / "a.yaml")], "a.yaml",
             "symlink loop")


@pytest.mark.parametrize("ref, fragments", [
    ("../../../../../../../../etc/passwd", ["is not a .yaml/.yml file"]),
    ("../../../outside.yaml", ["points outside the project", "NASIM_ALLOW_PATHS"]),
])
def test_reference_traversal(psets, capsys, ref, fragments):
    (psets.parent.parent / "outside.yaml").write_text("kind: electrolyte\n")
    _edit(psets / "cells" / "heo_half.yaml", "electrolyte: ../electrolytes/napf6_ecpc.yaml",
          f"electrolyte: {ref}")
    err = _refused(capsys, ["params", "validate", str(psets / "cells" / "heo_half.yaml")],
                   "heo_half.yaml", "field 'electrolyte'", *fragments)
    assert "root:" not in err  # never another file's content


def test_table_reference_outside_the_project(psets, capsys):
    _edit(psets / "electrolytes" / "napf6_ecpc.yaml", "file: napf6_ecpc_diffusivity_fitted.csv",
          "file: ../../../../../etc/hosts")
    _refused(capsys, ["params", "validate", str(psets / "cells" / "heo_half.yaml")],
             "napf6_ecpc.yaml", "diffusivity.table", "is not a .csv file")


# ----------------------------------------------------------------------------- output folders

def test_out_is_a_file_and_a_used_folder(tmp_path, capsys):
    (tmp_path / "F").write_text("mine")
    cell = str(CELLS / "heo_half.yaml")
    _refused(capsys, ["simulate", cell, "--c-rate", "1", "--out", str(tmp_path / "F")],
             "is an existing file")
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine")
    _refused(capsys, ["energy", cell, "--c-rate", "1", "--out", str(tmp_path / "used")],
             "holds files of something else", "--overwrite")
    assert (tmp_path / "used" / "notes.txt").read_text() == "mine"


def test_corrupt_store(tmp_path, capsys):
    from nasim.sweep import load_study

    study = tmp_path / "s.yaml"
    study.write_text(f"kind: study\nname: s\ncell: {CELLS / 'heo_half.yaml'}\nmodel: SPM\n"
                     "axes:\n  - {parameter: current, unit: C, values: [1]}\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "sweep.sqlite").write_bytes(b"this is not a database" * 100)
    (out / "run.json").write_text(json.dumps({"identity": load_study(study).identity,
                                              "status": "running", "files": []}))
    err = _refused(capsys, ["sweep", str(study), "--out", str(out), "--resume"],
                   "sweep.sqlite", "--overwrite")
    assert re.search("not readable", err)


# ----------------------------------------------------------------------------- mutations

_MUTANTS = ["nan", ".nan", ".inf", "-.inf", "1e308", "-1e308", "1e999", "0", "-1", "abc", "",
            "[1, 2]", "{a: 1}", "*x", "&x 1", "!!python/object/apply:os.system ['true']",
            "\"\xff\"", "null", "yes", "99999999999999999999999999"]


def _mutations(seed: int, count: int) -> list[tuple[str, int, str]]:
    rng = random.Random(seed)
    files = sorted(str(p.relative_to(PARAMETER_SETS)) for p in PARAMETER_SETS.rglob("*")
                   if p.suffix in (".yaml", ".csv") and "chayambuka2022/" not in str(p))
    out = []
    for _ in range(count):
        name = rng.choice(files)
        n_lines = len((PARAMETER_SETS / name).read_text(encoding="utf-8").splitlines())
        out.append((name, rng.randrange(n_lines), rng.choice(_MUTANTS)))
    return out


def _mutate(text: str, line: int, mutant: str, csv: bool) -> str:
    lines = text.splitlines()
    if csv:
        cells = lines[line].split(",")
        cells[len(cells) - 1 - line % len(cells)] = mutant
        lines[line] = ",".join(cells)
    else:  # a number, or else the value after the first colon, becomes the mutant
        new, n = re.subn(r"-?\d+(\.\d*)?([eE][-+]?\d+)?", mutant, lines[line], count=1)
        lines[line] = new if n else re.sub(r":\s.*", f": {mutant}", lines[line], count=1)
    return "\n".join(lines) + "\n"


def test_seeded_mutations_of_the_bundled_files(psets):
    """Each mutation loads or is refused as bad input (ValueError), within the bound; never
    another exception and never a hang."""
    from nasim.params import parameter_table

    cells = sorted((psets / "cells").glob("*.yaml"))
    outcomes = {"refused": 0, "loaded": 0}
    for name, line, mutant in _mutations(seed=18, count=40):
        path = psets / name
        original = path.read_text(encoding="utf-8")
        path.write_text(_mutate(original, line, mutant, path.suffix == ".csv"), encoding="utf-8")
        try:
            for cell in cells:
                tic = time.perf_counter()
                try:
                    parameter_table(cell)
                    outcomes["loaded"] += 1
                except ValueError as exc:
                    outcomes["refused"] += 1
                    assert "Traceback" not in str(exc) and len(str(exc)) < 5000
                assert time.perf_counter() - tic < BOUND_S, (name, line, mutant)
        finally:
            path.write_text(original, encoding="utf-8")
    assert outcomes["refused"] > 0 and outcomes["loaded"] > 0, outcomes
