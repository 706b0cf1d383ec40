"""`nasim energy`: mass and volume budget, energy at each level, first-cycle Na loss, Ragone."""

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import CELLS
from pydantic import ValidationError

import nasim
from nasim.cli import main
from nasim.params.budget import LEVELS, mass_budget
from nasim.params.inventory import sodium_inventory
from nasim.params.loading import load_cell
from nasim.params.quantities import FARADAY
from nasim.params.schema import CellFormat
from nasim.simulate.energy import energy, ragone

TEST_SOURCE = {"kind": "assumed", "exact": True, "reason": "test"}  # a test setting


@pytest.fixture(scope="module")
def full_50(heo_hc_full):
    return energy(heo_hc_full, current_mA_per_g=50.0)


def test_mass_budget_by_hand(heo_hc_full):
    """Every component of heo_hc_full.yaml from its numbers (SI: m, kg, m3)."""
    cell = heo_hc_full.cell
    area = 1.131e-4  # electrode_area 1.131 cm2
    assert cell.electrode_area.si == pytest.approx(area)
    rows = mass_budget(heo_hc_full).to_frame().set_index("component")

    def mass_g(name):
        return rows.loc[name, "mass_g"]

    # Al foils: area x 15 um x 2.70 g/cm3, one per electrode (single-layer cell)
    assert cell.current_collectors.cathode.thickness.si == pytest.approx(15e-6)
    assert cell.current_collectors.cathode.density.si == pytest.approx(2700.0)
    al_g = area * 15e-6 * 2700.0 * 1e3
    assert mass_g("cathode_current_collector") == pytest.approx(al_g, rel=1e-12)
    assert mass_g("anode_current_collector") == pytest.approx(al_g, rel=1e-12)
    # polyolefin separator: (1 - 0.45) x 25 um x area x 0.92 g/cm3
    assert mass_g("separator") == pytest.approx((1 - 0.45) * 25e-6 * area * 920.0 * 1e3,
                                                rel=1e-12)
    # cathode: 10 mg/cm2 = 0.1 kg/m2 active; 90:5:5; thickness from loading and porosity 0.35
    rho_heo = heo_hc_full.cathode.density_kg_per_m3()
    assert mass_g("cathode_active") == pytest.approx(0.1 * area * 1e3, rel=1e-12)
    assert mass_g("cathode_binder") == pytest.approx(0.1 * area * 0.05 / 0.9 * 1e3, rel=1e-12)
    l_c = 0.1 / 0.9 * (0.9 / rho_heo + 0.05 / 1780.0 + 0.05 / 1900.0) / (1 - 0.35)
    # anode: loading from N/P 1.1 on the window capacities; 92:5:3; porosity 0.40
    q_c = heo_hc_full.cathode.window_specific_capacity_C_per_kg()
    q_a = heo_hc_full.anode.window_specific_capacity_C_per_kg()
    m_a = 1.1 * 0.1 * q_c / q_a
    assert mass_g("anode_active") == pytest.approx(m_a * area * 1e3, rel=1e-12)
    l_a = m_a / 0.92 * (0.92 / 1600.0 + 0.05 / 1780.0 + 0.03 / 1900.0) / (1 - 0.40)
    # electrolyte: 1.2 x pore volume x 1.3 g/cm3
    pores = (0.35 * l_c + 0.40 * l_a + 0.45 * 25e-6) * area
    assert mass_g("electrolyte") == pytest.approx(1.2 * pores * 1300.0 * 1e3, rel=1e-9)
    # packaging: the CR2032 parts (can and cap, 1.0 mm spacer, spring, gasket), 1.0053 cm3
    budget = mass_budget(heo_hc_full)
    stack_g = rows[rows.level != "cell"].mass_g.sum()
    housing_g = 1.84 + 1.568 + 0.3 + 0.08
    assert budget.level_mass_kg["stack"] * 1e3 == pytest.approx(stack_g, rel=1e-12)
    assert budget.level_mass_kg["cell"] * 1e3 == pytest.approx(stack_g + housing_g, rel=1e-12)
    assert budget.level_volume_m3["cell"] == pytest.approx(1.0053e-6)
    # stack volume = layers + excess electrolyte = the components' volumes (derived thicknesses)
    layers = (l_c + l_a + 25e-6 + 2 * 15e-6) * area
    assert budget.level_volume_m3["stack"] == pytest.approx(layers + 0.2 * pores, rel=1e-9)
    assert rows[rows.level != "cell"].volume_cm3.sum() * 1e-6 == pytest.approx(
        budget.level_volume_m3["stack"], rel=1e-9)


def test_half_cell_na_metal_counts_as_anode(heo_half):
    budget = mass_budget(heo_half)
    rows = budget.to_frame().set_index("component")
    # 500 um Na foil x 1.131 cm2 x (22.990 g/mol / 23.75 cm3/mol)
    # (M_Na from periodictable, 22.98977, vs the conventional 22.990 typed here: 1.0e-5)
    na_g = 500e-4 * 1.131 * 22.990 / 23.75
    assert rows.loc["anode_na_metal", "mass_g"] == pytest.approx(na_g, rel=2e-5)
    assert budget.level_mass_kg["active_pair"] * 1e3 == pytest.approx(
        rows.loc["cathode_active", "mass_g"] + na_g, rel=2e-5)
    assert "anode_current_collector" not in rows.index
    assert not budget.missing


def test_active_energy_is_integral_of_V_dQ(full_50):
    frame = full_50.discharge.timeseries
    v, q_mAh = frame.voltage_V.to_numpy(), frame.capacity_mAh.to_numpy()
    e_Wh = float(np.sum(0.5 * (v[1:] + v[:-1]) * np.diff(q_mAh))) * 1e-3
    m_c_kg = 0.1 * 1.131e-4
    table = full_50.table.set_index("level")
    assert table.loc["cathode_active", "specific_energy_Wh_per_kg"] == pytest.approx(
        e_Wh / m_c_kg, rel=1e-6)
    assert table.loc["cathode_active", "specific_energy_Wh_per_kg"] == pytest.approx(
        full_50.discharge.metrics["specific_energy_Wh_per_kg_cathode"], rel=1e-9)


def test_level_order_full_cell_50_mA_per_g(full_50):
    table = full_50.table.set_index("level").loc[list(LEVELS)]
    for column in ("specific_energy_Wh_per_kg", "energy_density_Wh_per_L",
                   "specific_power_W_per_kg"):
        values = table[column].to_numpy()
        assert np.all(np.isfinite(values))
        assert np.all(np.diff(values) < 0), column
    assert full_50.summary()["level_order_ok"]
    charge = full_50.summary()["charge"]
    assert "Maximum voltage" in charge["cc_charge_termination"]
    assert charge["cv_hold_capacity_mAh"] >= 0.0


def test_first_cycle_loss_lowers_full_cell_capacity(heo_hc_full):
    """The bundled full cell is built from precycled electrodes (no loss, Fig. 6g caption);
    the same cell assembled from fresh electrodes loses (1 - ICE) Q1 to the hard carbon."""
    assert sodium_inventory(heo_hc_full).first_cycle_loss_mol == 0.0
    heo_hc_full = load_cell(CELLS / "heo_hc_full.yaml",
                            {"electrode_preparation.precycled": False})
    inv = sodium_inventory(heo_hc_full)
    assert inv.first_cycle_coulombic_efficiency == pytest.approx(0.85)
    q1_C = heo_hc_full.design.window_capacity_Ah * 3600.0
    assert inv.first_cycle_loss_mol == pytest.approx(0.15 * q1_C / FARADAY, rel=1e-12)
    assert inv.cyclable_mol == pytest.approx(inv.assembly_mol - inv.first_cycle_loss_mol)
    # the same cell with ICE = 1 (no first-cycle loss)
    anode = heo_hc_full.anode.model_copy(update={"first_cycle_coulombic_efficiency": None})
    lossless = dataclasses.replace(heo_hc_full, anode=anode)
    assert sodium_inventory(lossless).first_cycle_loss_mol == 0.0
    q_loss = nasim.simulate(heo_hc_full, current_mA_per_g=50.0).metrics["capacity_mAh"]
    q_ideal = nasim.simulate(lossless, current_mA_per_g=50.0).metrics["capacity_mAh"]
    assert q_loss < q_ideal
    assert 0.5 * inv.first_cycle_loss_mAh < q_ideal - q_loss < 1.1 * inv.first_cycle_loss_mAh


def test_cli_energy_writes_levels(tmp_path, capsys):
    out = tmp_path / "D"
    code = main(["energy", str(CELLS / "heo_hc_full.yaml"), "--current-mA-per-g", "50",
                 "--out", str(out)])
    assert code == 0
    table = pd.read_csv(out / "energy.csv")
    assert list(table.level) == list(LEVELS)
    for column in ("mass_g", "volume_cm3", "capacity_mAh", "energy_Wh",
                   "specific_energy_Wh_per_kg", "energy_density_Wh_per_L",
                   "specific_power_W_per_kg"):
        assert column in table.columns
    assert np.all(np.diff(table.specific_energy_Wh_per_kg) < 0)
    budget = pd.read_csv(out / "mass_budget.csv")
    assert list(budget.columns[:4]) == ["component", "level", "mass_g", "volume_cm3"]
    assert "source" in budget.columns
    summary = json.loads((out / "summary.json").read_text())
    assert summary["level_order_ok"] is True
    # precycled electrodes (Fig. 6g caption): no first-cycle loss in the full cell
    assert summary["sodium_inventory"]["first_cycle_coulombic_efficiency"] == 1.0


def test_ragone_records_failed_rates(heo_hc_full, tmp_path):
    """50C (7500 mA/g) leaves the window at once: recorded with its reason, not dropped."""
    result = ragone(heo_hc_full, (100.0, 7500.0))
    frame = result.frame
    assert set(frame.current_mA_per_g) == {100.0, 7500.0}
    failed = frame[frame.current_mA_per_g == 7500.0]
    assert len(failed) == len(LEVELS) and (failed.status == "failed").all()
    assert failed.error.str.len().min() > 10 and failed.specific_energy_Wh_per_kg.isna().all()
    assert (frame[frame.current_mA_per_g == 100.0].status == "ok").all()
    fig = result.plot()
    fig.savefig(tmp_path / "ragone.png")
    assert (tmp_path / "ragone.png").stat().st_size > 10_000


def test_bad_input_is_clear(heo_hc_full, tmp_path, capsys):
    with pytest.raises(ValueError, match="exactly one of current_mA_per_g or c_rate"):
        energy(heo_hc_full)
    with pytest.raises(ValueError, match="exactly one of current_mA_per_g or c_rate"):
        energy(heo_hc_full, current_mA_per_g=50.0, c_rate=1.0)
    with pytest.raises(ValueError, match="positive finite"):
        energy(heo_hc_full, current_mA_per_g=-5.0)
    assert main(["energy", str(CELLS / "heo_hc_full.yaml"), "--c-rate", "0",
                 "--out", str(tmp_path / "x")]) == 2
    assert main(["energy", str(tmp_path / "missing.yaml"), "--c-rate", "1",
                 "--out", str(tmp_path / "x")]) == 2
    assert "missing.yaml" in capsys.readouterr().err
    with pytest.raises(ValidationError, match="exactly one of 'housing_parts'"):
        CellFormat.model_validate({
            "type": "pouch",
            "housing_parts": [{"name": "can", "mass": {
                "value": 1, "unit": "g", "source": TEST_SOURCE}}],
            "mass_overhead_fraction": {"value": 0.1, "unit": "1",
                                       "source": TEST_SOURCE},
            "volume_overhead_fraction": {"value": 0.1, "unit": "1",
                                         "source": TEST_SOURCE}})


def test_missing_budget_sections_are_named(heo_hc_full):
    """An old cell file without collectors/format still validates; the stack and cell levels
    are NaN and the missing fields are named."""
    cell = heo_hc_full.cell.model_copy(update={"current_collectors": None, "format": None})
    budget = mass_budget(dataclasses.replace(heo_hc_full, cell=cell))
    assert "current_collectors" in budget.missing and "format" in budget.missing
    assert math.isnan(budget.level_mass_kg["stack"]) and math.isnan(budget.level_mass_kg["cell"])
    assert budget.level_mass_kg["active_pair"] > budget.level_mass_kg["cathode_active"] > 0
