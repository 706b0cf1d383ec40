"""Lumped thermal option: a coin cell's temperature from its heat balance (HEO half cell)."""

import numpy as np
import pytest
import yaml
from conftest import CELLS

import nasim
from nasim.params.budget import mass_budget
from nasim.params.thermal import heat_capacity
from nasim.physics.values import thermal_values


@pytest.fixture(scope="module")
def lumped_runs(heo_half):
    return {rate: nasim.simulate(heo_half, model="DFN", c_rate=rate, thermal="lumped")
            for rate in (1.0, 20.0)}


def _rise_K(result) -> float:
    return float(result.timeseries.temperature_C.max()) - (result.temperature_K - 273.15)


def _trapezoid(y, x) -> float:
    y, x = np.asarray(y, float), np.asarray(x, float)
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x)))


def test_lumped_20C_discharge_heats_the_cell_above_ambient(lumped_runs):
    result = lumped_runs[20.0]
    temperature = result.timeseries.temperature_C.to_numpy()
    ambient = result.temperature_K - 273.15
    assert temperature[0] == pytest.approx(ambient, abs=1e-9)
    assert _rise_K(result) > 0.0
    assert np.all(temperature >= ambient - 1e-6)  # nothing cools the cell below ambient
    summary = result.summary()
    assert summary["thermal"] == "lumped"
    assert summary["max_temperature_C"] == pytest.approx(float(temperature.max()))


def test_temperature_rise_at_1C_is_smaller_than_at_20C(lumped_runs):
    rise_1c, rise_20c = _rise_K(lumped_runs[1.0]), _rise_K(lumped_runs[20.0])
    assert 0.0 < rise_1c < rise_20c


@pytest.mark.parametrize("rate", [1.0, 20.0])
def test_heat_balance_is_bounded_by_the_lost_electrical_work(heo_half, lumped_runs, rate):
    """Heat stored in the cell plus heat given to the air cannot exceed the electrical work
    lost to overpotentials, integral (OCV - V) |I| dt (entropic heat is zero in these files);
    so the rise cannot exceed that work over the cell's heat capacity (the adiabatic bound)."""
    frame = lumped_runs[rate].timeseries
    thermal = heo_half.cell.thermal
    capacity_J_per_K = heat_capacity(heo_half).total_J_per_K
    t = frame.time_s.to_numpy()
    delta = frame.temperature_C.to_numpy() - (lumped_runs[rate].temperature_K - 273.15)
    lost_work_J = _trapezoid((frame.ocv_V - frame.voltage_V) * frame.current_A.abs(), t)
    stored_J = capacity_J_per_K * delta[-1]
    cooled_J = (thermal.heat_transfer_coefficient.si * thermal.cooling_surface_area.si
                * _trapezoid(delta, t))
    assert lost_work_J > 0.0
    assert 0.0 < stored_J + cooled_J <= 1.02 * lost_work_J
    assert delta.max() <= lost_work_J / capacity_J_per_K


def test_self_heating_does_not_lower_the_20C_capacity(heo_half, lumped_runs):
    """The Arrhenius laws follow the cell temperature, which stays at or above ambient."""
    isothermal = nasim.simulate(heo_half, model="DFN", c_rate=20.0)
    assert (lumped_runs[20.0].metrics["capacity_mAh_per_g"]
            >= isothermal.metrics["capacity_mAh_per_g"] - 1e-3)


def test_isothermal_runs_keep_the_ambient_temperature(heo_half):
    result = nasim.simulate(heo_half, model="SPM", c_rate=1.0, temperature_C=-20.0)
    np.testing.assert_allclose(result.timeseries.temperature_C, -20.0, atol=1e-9)
    summary = result.summary()
    assert summary["thermal"] == "isothermal"
    assert summary["max_temperature_C"] == pytest.approx(-20.0, abs=1e-9)


def _copy_cell(tmp_path, drop_thermal=False, cathode=None):
    """heo_half.yaml written to tmp_path with absolute references (optionally altered)."""
    data = yaml.safe_load((CELLS / "heo_half.yaml").read_text())
    data["cathode"]["material"] = str(cathode or (CELLS / data["cathode"]["material"]).resolve())
    data["counter_electrode"]["material"] = str(
        (CELLS / data["counter_electrode"]["material"]).resolve())
    data["electrolyte"] = str((CELLS / data["electrolyte"]).resolve())
    if drop_thermal:
        data.pop("thermal")
    path = tmp_path / "cell.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_lumped_without_thermal_section_is_a_clear_error(tmp_path, capsys):
    from nasim.cli import EXIT_BAD_INPUT, main

    path = _copy_cell(tmp_path, drop_thermal=True)
    with pytest.raises(nasim.ParameterFileError) as err:
        nasim.simulate(path, model="SPM", c_rate=1.0, thermal="lumped")
    text = str(err.value)
    assert str(path) in text and "field 'thermal': missing" in text
    assert "heat_transfer_coefficient" in text and "cooling_surface_area" in text
    # the isothermal default does not need the section
    nasim.simulate(path, model="SPM", c_rate=1.0)
    code = main(["simulate", str(path), "--model", "SPM", "--c-rate", "1", "--thermal", "lumped",
                 "--out", str(tmp_path / "lumped")])
    assert code == EXIT_BAD_INPUT
    assert "field 'thermal': missing" in capsys.readouterr().err


def test_lumped_without_material_specific_heat_names_the_material_file(tmp_path):
    material = yaml.safe_load((CELLS / "../materials/heo.yaml").read_text())
    material.pop("specific_heat_capacity")
    material_path = tmp_path / "heo_no_cp.yaml"
    material_path.write_text(yaml.safe_dump(material, sort_keys=False))
    path = _copy_cell(tmp_path, cathode=material_path)
    with pytest.raises(nasim.ParameterFileError) as err:
        nasim.simulate(path, model="SPM", c_rate=1.0, thermal="lumped")
    assert str(material_path) in str(err.value)
    assert "field 'specific_heat_capacity': missing" in str(err.value)


def test_unknown_thermal_mode_is_rejected(heo_half):
    with pytest.raises(ValueError, match="thermal 'adiabatic'"):
        nasim.simulate(heo_half, model="SPM", c_rate=1.0, thermal="adiabatic")


@pytest.mark.parametrize("model", ["SPM", "SPMe"])
def test_reduced_models_heat_like_the_dfn_at_1C(heo_half, lumped_runs, model):
    """At 1C the three models lose nearly the same work, so their temperature rises agree
    (this needs the tighter solver tolerances nasim uses for lumped runs)."""
    dfn_rise = lumped_runs[1.0].timeseries.temperature_C.max() - 25.0
    run = nasim.simulate(heo_half, model=model, c_rate=1.0, thermal="lumped")
    rise = run.timeseries.temperature_C.max() - 25.0
    assert rise == pytest.approx(dfn_rise, rel=0.2)


def test_heat_capacity_and_volume_come_from_the_budget_sections(heo_half, heo_hc_full):
    """The hardware is described once: the housing parts (format), the budget's active mass,
    Na foil and electrolyte times their files' specific heats; the cell volume is
    format.external_volume, the collectors current_collectors (a half cell's negative one the
    spacer of thermal.negative_current_collector)."""
    masses = mass_budget(heo_half).to_frame().set_index("component").mass_g * 1e-3
    steel_kg = (1.84 + 0.784 + 0.3) * 1e-3
    cp_cathode = heo_half.cathode.specific_heat_capacity.si  # the material file's value
    expected = (steel_kg * 500.0 + 0.08e-3 * 1800.0 + masses["cathode_active"] * cp_cathode
                + masses["anode_na_metal"] * 1228.0 + masses["electrolyte"] * 1700.0)
    assert heat_capacity(heo_half).total_J_per_K == pytest.approx(expected, rel=1e-12)
    half, full = thermal_values(heo_half), thermal_values(heo_hc_full)
    assert half["Cell volume [m3]"] == heo_half.cell.format.external_volume.si
    assert half["Cell heat capacity [J.K-1.m-3]"] * half["Cell volume [m3]"] == pytest.approx(
        expected, rel=1e-12)
    assert half["Positive current collector thickness [m]"] == pytest.approx(15e-6)
    assert half["Negative current collector thickness [m]"] == pytest.approx(0.5e-3)
    assert half["Negative current collector conductivity [S.m-1]"] == pytest.approx(1.39e6)
    assert full["Negative current collector thickness [m]"] == pytest.approx(15e-6)
    assert full["Negative current collector conductivity [S.m-1]"] == pytest.approx(3.77e7)


def test_thermal_inputs_given_twice_or_missing_are_named(heo_hc_full):
    import dataclasses

    from pydantic import ValidationError

    from nasim.params.schema import Cell

    data = heo_hc_full.cell.model_dump()
    data["thermal"]["negative_current_collector"] = {
        "name": "spacer", "thickness": {"value": 0.5, "unit": "mm", "source": {
            "kind": "assumed", "exact": True, "reason": "test"}},
        "electronic_conductivity": {"value": 1e6, "unit": "S/m", "source": {
            "kind": "assumed", "exact": True, "reason": "test"}}}
    with pytest.raises(ValidationError, match="give it there only"):
        Cell.model_validate(data)
    cc = heo_hc_full.cell.current_collectors
    foil = cc.anode.model_copy(update={"electronic_conductivity": None})
    cell = heo_hc_full.cell.model_copy(update={
        "current_collectors": cc.model_copy(update={"anode": foil})})
    with pytest.raises(nasim.ParameterFileError,
                       match="current_collectors.anode.electronic_conductivity"):
        thermal_values(dataclasses.replace(heo_hc_full, cell=cell))
