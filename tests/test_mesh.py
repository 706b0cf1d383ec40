"""Converged numerics: the mesh replays and fits use (the cell file's ``mesh:``) against the 2x
mesh at the highest rate each bundled DFN protocol runs (issue 13)."""

import numpy as np
import pytest

import nasim
from nasim.protocols import RateBlock
from nasim.simulate.mesh import Mesh, compare_curves, resolve
from tests.conftest import CELLS, ROOT

HEO = "parameter_sets/cells/heo_half.yaml"


def test_cell_file_sets_the_mesh():
    cell = nasim.load_cell(HEO)
    mesh = resolve(cell, None)
    assert mesh.particle == "exponential" and mesh.points["r_p"] == 30
    assert resolve(cell, 30) == Mesh.uniform(30)


def _steps(plan):
    for item in plan.items:
        if isinstance(item, RateBlock):
            yield from (s for before in item.before for s in before)
            yield from item.rate_steps
        else:
            yield item


def highest_dfn_rates() -> dict[tuple[str, float], float]:
    """(cell file, temperature [degC]) -> the highest C-rate a bundled DFN protocol runs
    there (the rate at which the cell's mesh must be converged)."""
    out: dict[tuple[str, float], float] = {}
    for path in sorted((ROOT / "experiments").glob("*.yaml")):
        plan = nasim.load_protocol(path).plan()
        if plan.model != "DFN":
            continue
        for step in _steps(plan):
            if step.mode == "current" and step.current_A:
                key = (plan.cell.path.name, round(step.temperature_K - 273.15, 3))
                rate = abs(step.current_A) / plan.cell.one_c_current_A
                out[key] = max(out.get(key, 0.0), rate)
    return out


#: the cases cheap enough for CI (a mesh check builds and solves two DFNs); the rest are slow
FAST = {("heo_half.yaml", 25.0), ("heo_half.yaml", -20.0), ("heo_hc_full.yaml", 25.0)}
CASES = highest_dfn_rates()


def test_every_bundled_cell_with_a_dfn_protocol_is_checked():
    assert {cell for cell, _ in CASES} == {
        "heo_half.yaml", "nfm_half.yaml", "heo_hc_full.yaml", "chayambuka2022_full.yaml"}
    assert CASES["heo_half.yaml", 25.0] == pytest.approx(20.0)
    assert CASES["heo_half.yaml", -20.0] == pytest.approx(4.0)


@pytest.mark.parametrize(("cell", "temperature_C"), [
    pytest.param(*key, marks=() if key in FAST else pytest.mark.slow, id=f"{key[0]}@{key[1]:g}C")
    for key in sorted(CASES)])
def test_dfn_mesh_is_converged_at_the_highest_protocol_rate(cell, temperature_C):
    c_rate = CASES[cell, temperature_C]
    frame = nasim.mesh_check(CELLS / cell, "DFN", c_rate=c_rate, temperature_C=temperature_C)
    in_use = frame.iloc[0]
    assert in_use.capacity_rel_diff <= 0.002, (cell, temperature_C, c_rate)
    assert in_use.voltage_rms_diff_mV <= 2.0, (cell, temperature_C, c_rate)


def test_the_check_can_fail():
    # PyBaMM's default uniform 20-point mesh is not converged for the HEO half cell at 20C
    default = nasim.mesh_check(HEO, "DFN", c_rate=20, mesh=20).iloc[0]
    assert default.capacity_rel_diff > 0.002


def test_compare_curves():
    q = np.linspace(0.0, 1.0, 50)
    assert compare_curves(q, 3.0 - q, q, 3.0 - q) == (0.0, 0.0)
    # the same line 1 mV higher and 1 % longer: compared over the common capacity range
    dq, dv = compare_curves(q * 1.01, 3.0 - q * 1.01 + 1e-3, q, 3.0 - q)
    assert dq == pytest.approx(0.01)
    assert dv == pytest.approx(1.0)


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


def test_a_study_sets_its_own_mesh(tmp_path):
    from nasim.params.loading import ParameterFileError
    from nasim.sweep.study import load_study

    study = load_study(ROOT / "studies" / "heo_hc_loading_crate.yaml")
    assert study.mesh_points.points["x_p"] == 20
    assert study.mesh_points != Mesh.of_cell(study.base_cell)
    text = (ROOT / "studies" / "heo_hc_loading_crate.yaml").read_text()
    both = tmp_path / "both.yaml"
    both.write_text(text.replace("cell: ../", f"cell: {ROOT}/").replace(
        "temperature: 25 degC\n", "temperature: 25 degC\nmesh_points: 30\n"))
    with pytest.raises(ParameterFileError, match="not both"):
        load_study(both)


def test_a_model_can_take_other_points():
    cell = nasim.load_cell(HEO)
    dfn, spme = resolve(cell, None, "DFN"), resolve(cell, None, "SPMe")
    assert (dfn.points["x_p"], spme.points["x_p"]) == (4, 20)
    assert dfn.points["r_p"] == 30 and spme.points["r_p"] == 28
