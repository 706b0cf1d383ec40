"""Paper-quality figures: units in words, rates as labels, measured markers in their rate's
colour with a legend naming the source, GITT voltage-time and D(x), dQ/dV without staircases,
human axis titles, figure formats, and a style that leaves the user's rcParams alone."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
import yaml

import nasim
from nasim.analysis.gitt import gitt_diffusivity
from nasim.analysis.metrics import differential_capacity, differential_capacity_smooth
from nasim.plots import STYLE, column_label, rate_label
from nasim.plots.report import replay_figures, voltage_capacity_steps
from nasim.plots.sweep import heatmap

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def rate_run():
    return nasim.replay(ROOT / "experiments/heo_half_rate_25C.yaml", model="DFN")


def _legend_texts(legend) -> list[str]:
    return [t.get_text() for t in legend.get_texts()]


def _legends(ax) -> dict:
    """Title (or "") -> texts of every legend on ``ax``."""
    found = [a for a in ax.artists if isinstance(a, matplotlib.legend.Legend)]
    found += [ax.get_legend()] if ax.get_legend() is not None else []
    return {lg.get_title().get_text(): _legend_texts(lg) for lg in found}


def test_rate_test_legend_names_each_rate(rate_run):
    fig = voltage_capacity_steps(rate_run)
    ax = fig.axes[0]
    legends = _legends(ax)
    assert legends["C-rate"] == ["0.2C", "0.5C", "1C", "5C", "10C", "20C"]
    assert legends[""] == ["simulated (DFN)", "measured (Huo et al. 2026)"]
    assert ax.get_ylabel() == "Voltage (V vs Na$^+$/Na)"
    assert ax.get_xlabel() == "Specific capacity (mAh g$^{-1}$)"
    # the measured capacity of each rate: a marker in that rate's colour
    lines = {ln.get_label(): mcolors.to_hex(ln.get_color()) for ln in ax.lines
             if not ln.get_label().startswith("_")}
    markers = [mcolors.to_hex(ln.get_color()) for ln in ax.lines if ln.get_marker() == "o"]
    assert sorted(markers) == sorted(lines.values())


def test_a_failed_rate_keeps_its_legend_entry():
    from nasim.params.loading import load_cell
    from nasim.protocols import load_protocol

    # a cathode 2.4x the paper's loading: the SPMe empties the electrolyte from 5C up
    thick = load_cell(ROOT / "parameter_sets/cells/heo_half.yaml",
                      {"cathode.loading": {"value": 6.0, "source": {
                          "kind": "assumed", "reason": "test: a thick cathode",
                          "range": [5.0, 7.0]}}})
    run = nasim.replay(load_protocol(ROOT / "experiments/heo_half_rate_25C.yaml", thick),
                       model="SPMe")
    failed = list(run.failed.c_rate)
    assert 20.0 in failed
    ax = voltage_capacity_steps(run).axes[0]
    entries = _legends(ax)["C-rate"]
    assert [e for e in entries if e.endswith("(failed)")] == \
        [f"{rate:g}C (failed)" for rate in failed]
    assert entries[-1] == "20C (failed)"


def test_measured_curves_share_their_rate_colour_and_name_the_source():
    run = nasim.replay(ROOT / "experiments/chayambuka2022_rate.yaml", model="SPM")
    ax = voltage_capacity_steps(run).axes[0]
    texts = [t for texts in _legends(ax).values() for t in texts]
    assert "0.05C" in texts and "1.4C" in texts
    assert "simulated (SPM)" in texts
    assert any(t.startswith("measured (Chayambuka") for t in texts)
    lines = {ln.get_label(): mcolors.to_hex(ln.get_color()) for ln in ax.lines
             if not ln.get_label().startswith("_")}
    markers = [mcolors.to_hex(ln.get_color()) for ln in ax.lines if ln.get_marker() == "o"]
    assert len(markers) == 4 and set(markers) == set(lines.values())
    assert ax.get_ylabel() == "Cell voltage (V)"


def test_figure_formats_and_dpi(rate_run, tmp_path):
    written = rate_run.write(tmp_path / "svg", fmt="svg")
    assert {p.suffix for p in written if p.stem in ("voltage_capacity", "rate_capability")} \
        == {".svg"}
    assert "voltage_capacity.svg" in (tmp_path / "svg" / "report.md").read_text()
    small = rate_run.write(tmp_path / "p72", dpi=72)
    big = rate_run.write(tmp_path / "p300")
    size = {p.name: p.stat().st_size for p in small + big if p.suffix == ".png"}
    assert (tmp_path / "p72" / "rate_capability.png").stat().st_size < \
        (tmp_path / "p300" / "rate_capability.png").stat().st_size, size
    with pytest.raises(ValueError, match="png, svg, pdf"):
        rate_run.write(tmp_path / "bad", fmt="jpg")


def test_gitt_figures(tmp_path):
    protocol = yaml.safe_load((ROOT / "experiments/heo_half_gitt.yaml").read_text())
    protocol["cell"] = str(ROOT / "parameter_sets/cells/heo_half.yaml")
    for item in protocol["steps"]:
        item["gitt"]["count"] = 5
    (tmp_path / "gitt.yaml").write_text(yaml.safe_dump(protocol))
    run = nasim.replay(tmp_path / "gitt.yaml", model="SPM")
    figures = replay_figures(run)
    assert set(figures) == {"voltage_time", "gitt_diffusivity"}
    ax = figures["voltage_time"].axes[0]
    assert ax.get_xlabel() == "Time (h)" and "Na$^+$/Na" in ax.get_ylabel()
    d = gitt_diffusivity(run.steps, run.timeseries,
                         run.protocol.cell.design.cathode.particle_radius_m)
    # 10 pulses: the first has no rest before it, the last reaches 2.0 V (its rest is skipped)
    assert len(d) == 8
    assert (d.diffusivity_m2_per_s > 1e-19).all() and (d.diffusivity_m2_per_s < 1e-12).all()


def test_gitt_diffusivity_formula():
    """Weppner-Huggins: D = 4/(pi tau) (R/3)^2 (dEs/dEt)^2 from one rest-pulse-rest."""
    steps = pd.DataFrame({"step": [1, 2, 3], "direction": ["rest", "charge", "rest"],
                          "status": ["ok"] * 3})
    ts = pd.DataFrame({"step": [1, 1, 2, 2, 3, 3], "time_s": [0, 10, 0, 600, 0, 2400],
                       "voltage_V": [3.0, 3.0, 3.05, 3.15, 3.1, 3.02],
                       "cathode_stoichiometry": [0.8] * 6})
    d = gitt_diffusivity(steps, ts, 3e-6)
    assert d.diffusivity_m2_per_s.iloc[0] == pytest.approx(
        4 / (np.pi * 600) * 1e-12 * (0.02 / 0.1) ** 2)


def test_smooth_dqdv_has_no_staircase():
    """A curved V(Q) sampled sparsely (35 mV between rows): 10 mV bins repeat one value over
    several bins (a staircase); the smooth dQ/dV changes from point to point and follows the
    exact derivative."""
    def flat_share(y) -> float:
        y = np.asarray(y)
        return float(np.mean(np.abs(np.diff(y)) <= 1e-9 * np.abs(y[1:])))

    q = np.linspace(0, 100, 23)
    frame = pd.DataFrame({"capacity_mAh_per_g": q,
                          "voltage_V": 3.0 + 0.5 * np.tanh((q - 50) / 30)})
    smooth = differential_capacity_smooth(frame)
    assert flat_share(differential_capacity(frame, 0.01).dQdV_mAh_per_g_per_V) > 0.4
    assert flat_share(smooth.dQdV_mAh_per_g_per_V) < 0.1
    x = np.arctanh((smooth.voltage_V.to_numpy() - 3.0) / 0.5) * 30 + 50
    exact = 30 / 0.5 * np.cosh((x - 50) / 30) ** 2
    assert np.allclose(smooth.dQdV_mAh_per_g_per_V[20:-20], exact[20:-20], rtol=0.1)
    line = pd.DataFrame({"capacity_mAh_per_g": q, "voltage_V": 3.0 + 0.004 * q})
    assert np.allclose(differential_capacity_smooth(line).dQdV_mAh_per_g_per_V, 250.0)


def test_labels_in_words():
    assert column_label("cathode.loading_mg_per_cm2") == "Cathode loading (mg cm$^{-2}$)"
    assert column_label("c_rate") == "C-rate"
    assert column_label("temperature_C") == "Temperature (°C)"
    assert rate_label(0.2) == "0.2C" and rate_label(20.0) == "20C"
    frame = pd.DataFrame({"cathode.loading_mg_per_cm2": [10, 10, 20, 20],
                          "current_mA_per_g": [50, 500, 50, 500],
                          "capacity_mAh_per_g": [140, 120, 135, 90], "status": ["ok"] * 4})
    ax = heatmap(frame, "cathode.loading_mg_per_cm2", "current_mA_per_g",
                 "capacity_mAh_per_g").axes[0]
    assert ax.get_xlabel() == "Cathode loading (mg cm$^{-2}$)"
    assert ax.get_ylabel() == "Current (mA g$^{-1}$)"


def test_style_is_package_data_and_leaves_rcparams_alone(rate_run):
    assert STYLE.is_file() and STYLE.suffix == ".mplstyle"
    before = dict(matplotlib.rcParams)
    fig = voltage_capacity_steps(rate_run)
    assert fig.get_dpi() == 150
    assert dict(matplotlib.rcParams) == before
