"""Bundled files: found by name from anywhere, listed by `nasim list`, shipped in the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

import nasim
from nasim.cli import main
from nasim.params import ParameterFileError
from nasim.params.bundle import FOLDERS, bundled, bundled_root, listing, names


def test_bundled_root_in_a_checkout_is_the_repository() -> None:
    assert bundled_root() == ROOT


def test_bundled_paths() -> None:
    assert bundled("cells/heo_half.yaml") == ROOT / "parameter_sets/cells/heo_half.yaml"
    assert nasim.bundled("experiments/heo_half_rate_25C.yaml").is_file()
    with pytest.raises(FileNotFoundError, match="nasim list"):
        bundled("cells/no_such_cell.yaml")


def test_load_by_name_from_another_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert nasim.load_cell("heo_half").path == ROOT / "parameter_sets/cells/heo_half.yaml"
    assert nasim.load_protocol("heo_half_rate_25C").path.name == "heo_half_rate_25C.yaml"
    assert nasim.load_study("heo_half_temperature_crate").path.parent == ROOT / "studies"


def test_params_validate_by_name(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["params", "validate", "heo_half"]) == 0
    assert main(["params", "validate", "heo"]) == 0  # a bundled material
    assert main(["params", "validate", "no_such_set"]) == 2
    assert "no bundled cell or material or electrolyte" in capsys.readouterr().err


def test_unknown_name_lists_the_bundled_ones(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParameterFileError) as info:
        nasim.load_cell("heo_halff")
    text = str(info.value)
    assert "heo_halff" in text and "no bundled cell" in text and "heo_hc_full" in text
    # a path (folder or suffix) is never taken for a name: the missing file is named
    with pytest.raises(ParameterFileError, match="file not found"):
        nasim.load_cell("cells/heo_half.yaml")


def test_nasim_list_prints_every_bundled_file(capsys) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    files = [f for folder in listing().values() for f in folder]
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", *FOLDERS], capture_output=True,
                             text=True, check=False).stdout.split()
    if tracked:  # in a git checkout: every tracked file of the bundled folders is listed
        assert sorted(Path(t).name for t in tracked) == sorted(files)
    for name in names("cell") + names("protocol") + names("study"):
        assert f"{name}.yaml" in out


def test_wheel_ships_the_bundled_folders(tmp_path) -> None:
    """`pip wheel .` holds every bundled file under nasim/_bundled/ (48 at the time of
    writing), with the folders' relative layout."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path),
                    str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("nasim-*.whl"))
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("nasim/_bundled/")}
    expected = {f"nasim/_bundled/{folder}/{name}" for folder, files in listing().items()
                for name in files}
    assert shipped == expected
