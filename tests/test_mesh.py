"""Converged numerics: the mesh replays and fits use (the cell file's ``mesh:``) against the 2x
mesh at the highest rate the HEO protocols run (issue 13)."""

import pytest

import nasim
from nasim.simulate.mesh import Mesh, resolve

HEO = "parameter_sets/cells/heo_half.yaml"


def test_cell_file_sets_the_mesh():
    cell = nasim.load_cell(HEO)
    mesh = resolve(cell, None)
    assert mesh.particle == "exponential" and mesh.points["r_p"] == 25
    assert resolve(cell, 30) == Mesh.uniform(30)


@pytest.mark.parametrize(("c_rate", "temperature_C"), [(20, None), (4, -20)])
def test_heo_half_dfn_is_converged_at_its_highest_rates(c_rate, temperature_C):
    frame = nasim.mesh_check(HEO, "DFN", c_rate=c_rate, temperature_C=temperature_C)
    in_use = frame.iloc[0]
    assert in_use.capacity_rel_diff <= 0.002
    assert in_use.voltage_rms_diff_mV <= 2.0
    # and the check can fail: PyBaMM's default uniform 20-point mesh is not converged at 20C
    if c_rate == 20:
        default = nasim.mesh_check(HEO, "DFN", c_rate=20, mesh=20).iloc[0]
        assert default.capacity_rel_diff > 0.002


def test_phase_averages_use_the_particle_mesh():
    result = nasim.simulate(HEO, model="DFN", c_rate=0.2)
    assert result.summary()["mesh_points"]["particle_mesh"] == "exponential"
    # the pristine O3 phase fills the discharged particle: volume average, not a shell count
    assert result.timeseries["phase_fraction_O3"].iloc[-1] > 0.9


def test_mesh_check_cli_prints_the_differences_and_writes_its_folder(tmp_path, capsys):
    from nasim.cli import main

    out = tmp_path / "mc"
    # a current in mA/g is the same C-rate: 150 mA/g is the HEO cell's 1C
    assert main(["mesh-check", HEO, "--model", "SPM", "--current-mA-per-g", "150",
                 "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    values = dict(line.split(maxsplit=1) for line in printed.splitlines()
                  if line.startswith(("capacity_rel_diff", "voltage_rms_diff_mV")))
    assert set(values) == {"capacity_rel_diff", "voltage_rms_diff_mV"}
    assert float(values["capacity_rel_diff"]) < 0.01
    assert (out / "mesh_check.csv").read_text().count("\n") == 3  # header + two meshes
    assert (out / "run.json").exists()
    assert main(["mesh-check", HEO, "--c-rate", "1", "--temperature-C", "-300"]) == 2
