"""Figures and the written report of a protocol replay (no solving here).

``write_replay`` writes ``summary.csv`` (a row per charge/discharge step), ``steps.csv`` (every
step, with status and how it ended), ``comparisons.csv`` (every measured value beside its
simulated counterpart), ``timeseries.csv``, PNG figures and ``report.md``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from nasim._version import versions
from nasim.analysis.metrics import differential_capacity_smooth
from nasim.params.loading import LoadedCell
from nasim.params.provenance import cell_provenance, sources_used
from nasim.plots import (
    CAPACITY_LABEL,
    FORMATS,
    figure_axes,
    plt,
    rate_label,
    save_figure,
    styled,
    voltage_label,
)
from nasim.plots.gitt import gitt_diffusivity_plot, is_gitt, voltage_time
from nasim.rundir import save, write_text

MAX_CURVES = 12


def _finish(fig, ax, xlabel: str, ylabel: str, title: str, legend: bool = True):
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if legend:
        ax.legend()
    fig.tight_layout()
    return fig


def _by_rate(result) -> bool:
    """Label curves by C-rate (a rate test: discharges at several rates), else by cycle."""
    s = result.steps
    return s.c_rate[s.direction == "discharge"].nunique() > 1


def _curve_label(row, by_rate: bool) -> str:
    if by_rate:
        return rate_label(row.c_rate)
    return f"cycle {row.cycle}, {rate_label(row.c_rate)} {row.direction}"


def _kept(result, directions=("charge", "discharge")) -> list:
    """Steps with a stored time series, thinned to at most MAX_CURVES (a rate test: its
    discharges, one per rate)."""
    steps = result.steps
    if _by_rate(result):
        directions = ("discharge",)
    have = set(result.timeseries.step.unique()) if len(result.timeseries) else set()
    rows = [r for r in steps.itertuples() if r.direction in directions and r.status == "ok"
            and r.step in have]
    if len(rows) > MAX_CURVES:
        idx = np.unique(np.linspace(0, len(rows) - 1, MAX_CURVES).round().astype(int))
        rows = [rows[i] for i in idx]
    return rows


def _measured_curves(result):
    """Measured curves attached to steps: (c_rate, source, capacity_mAh_per_g, voltage_V)."""
    out = []
    for item in result.protocol.plan(result.model).items:
        for step in getattr(item, "rate_steps", [item]):
            curve = step.measured.curve if step.measured is not None else None
            if curve is not None:
                q, v = result.protocol.curve(curve)
                out.append((step.c_rate, curve.source or step.measured.source, q, v))
    return out


def _rate_colors(rates) -> dict:
    """One colour per C-rate (viridis, low to high)."""
    rates = sorted({r for r in rates if r == r})
    colors = plt.cm.viridis(np.linspace(0, 0.9, max(len(rates), 1)))
    return dict(zip(rates, colors, strict=False))


@styled
def voltage_capacity_steps(result, ax=None):
    """Voltage vs capacity (mAh/g of cathode) of the charge/discharge steps of a replay: a
    rate test's discharges labelled by C-rate, each measured curve in its rate's colour."""
    fig, ax = figure_axes(ax)
    ts = result.timeseries
    rows = _kept(result)
    by_rate = _by_rate(result)
    measured = _measured_curves(result)
    if by_rate:
        colors = _rate_colors([r.c_rate for r in rows] + [m[0] for m in measured])
        color_of = [colors.get(row.c_rate, "k") for row in rows]
    else:
        color_of = plt.cm.viridis(np.linspace(0, 0.9, max(len(rows), 1)))
    for color, row in zip(color_of, rows, strict=False):
        part = ts[ts.step == row.step]
        ax.plot(part.capacity_mAh_per_g, part.voltage_V, color=color,
                ls="-" if row.direction == "discharge" else "--", label=_curve_label(row, by_rate))
    if by_rate:  # a rate that failed keeps its legend entry
        s = result.steps
        for row in s[(s.direction == "discharge") & (s.status == "failed")].itertuples():
            ax.plot([], [], color=colors.get(row.c_rate, "k"), ls=":",
                    label=f"{rate_label(row.c_rate)} (failed)")
    sources = []
    for c_rate, source, q, v in measured:
        color = colors.get(c_rate, "k") if by_rate else "k"
        ax.plot(q, v, "o", color=color, ms=2.2, mfc="none", mew=0.6)
        sources.append(source)
    if by_rate:  # measured capacities (no curve): a marker at the simulated end voltage
        comp = result.comparisons
        comp = comp[comp.quantity == "capacity_mAh_per_g"].set_index("step")
        for color, row in zip(color_of, rows, strict=False):
            if row.step in comp.index and not measured:
                v_end = ts[ts.step == row.step].voltage_V.iloc[-1]
                ax.plot(comp.measured[row.step], v_end, "o", color=color, ms=5, mfc="none")
                sources.append(str(comp.source[row.step]))
    rate_legend = ax.legend(title="C-rate" if by_rate else None, loc="lower left")
    if sources:
        from matplotlib.lines import Line2D

        ax.add_artist(rate_legend)
        handles = [Line2D([], [], color="0.3", label=f"simulated ({result.model})"),
                   Line2D([], [], color="0.3", marker="o", ls="", mfc="none",
                          label=f"measured ({_short(sources)})")]
        ax.legend(handles=handles, loc="upper right")
    return _finish(fig, ax, CAPACITY_LABEL, voltage_label(result.protocol.cell.configuration),
                   f"{result.protocol.name}", legend=False)


def _short(sources: list[str]) -> str:
    """The common start of the measured curves' sources, e.g. ``Chayambuka 2022``."""
    first = sources[0].split(",")[0] if sources else ""
    return first if all(s.startswith(first) for s in sources) else "see report"


@styled
def rate_capability(result, ax=None):
    """Discharge capacity at each rate: simulated vs measured bars."""
    fig, ax = figure_axes(ax)
    s = result.summary
    dis = s[(s.direction == "discharge") & s.measured_capacity_mAh_per_g.notna()]
    if not len(dis):
        dis = s[s.direction == "discharge"]
    x = np.arange(len(dis))
    width = 0.38
    ax.bar(x - width / 2, dis.capacity_mAh_per_g.fillna(0.0), width,
           label=f"simulated ({result.model})")
    ax.bar(x + width / 2, dis.measured_capacity_mAh_per_g.fillna(0.0), width, label="measured")
    for xi, row in zip(x, dis.itertuples(), strict=True):
        if row.status != "ok":
            ax.text(xi - width / 2, 2, "failed", rotation=90, fontsize=6, ha="center")
    temps = dis.temperature_C.nunique() > 1
    ax.set_xticks(x, [rate_label(r) + (f"\n{t:.0f} °C" if temps else "")
                      for r, t in zip(dis.c_rate, dis.temperature_C, strict=True)])
    ax.grid(axis="x", visible=False)
    return _finish(fig, ax, "Discharge rate", "Discharge capacity (mAh g$^{-1}$)",
                   f"Rate capability: {result.protocol.name}")


@styled
def cyclic_voltammogram(result, ax=None):
    """Current (mA/g of cathode) vs voltage of the sweep steps."""
    fig, ax = figure_axes(ax)
    ts = result.timeseries
    part = ts[ts.kind == "sweep"]
    mass_g = result.protocol.cell.design.cathode_active_mass_kg * 1e3
    # PyBaMM's sign: discharge (reduction) current positive; CV convention: oxidation positive
    ax.plot(part.voltage_V, -part.current_A * 1e3 / mass_g)
    return _finish(fig, ax, voltage_label(result.protocol.cell.configuration),
                   "Current (mA g$^{-1}$), oxidation > 0",
                   f"Cyclic voltammogram: {result.protocol.name}", legend=False)


@styled
def differential_capacity_plot(result, ax=None):
    """dQ/dV of the first charges and discharges with stored time series, from the dense
    solution (Savitzky-Golay derivative of V(Q), no binning staircases)."""
    fig, ax = figure_axes(ax)
    ts = result.timeseries
    by_rate = _by_rate(result)
    for row in _kept(result)[:4]:
        part = ts[ts.step == row.step]
        dqdv = differential_capacity_smooth(part)
        sign = 1 if row.direction == "charge" else -1
        ax.plot(dqdv.voltage_V, sign * dqdv.dQdV_mAh_per_g_per_V,
                label=_curve_label(row, by_rate))
    ax.axhline(0, color="k", lw=0.5)
    return _finish(fig, ax, voltage_label(result.protocol.cell.configuration),
                   "dQ/dV (mAh g$^{-1}$ V$^{-1}$), discharge < 0",
                   f"Differential capacity: {result.protocol.name}")


@styled
def capacity_vs_cycle(result, ax=None):
    """Discharge capacity and retention vs cycle, with the measured points marked."""
    fig, ax = figure_axes(ax)
    s = result.summary
    dis = s[(s.direction == "discharge") & (s.status == "ok")]
    ax.plot(dis.cycle, dis.capacity_mAh_per_g, "-", label=f"simulated ({result.model})")
    comp = result.comparisons
    at_cycle = comp[comp.quantity.str.startswith("capacity_mAh_per_g at cycle")]
    if len(at_cycle):
        ax.plot(at_cycle.cycle, at_cycle.measured, "*", ms=8, label="measured")
    ret = comp[comp.quantity.str.startswith("capacity_retention at cycle")]
    if len(ret) and len(dis):
        first = dis.capacity_mAh_per_g.iloc[0]
        ax.plot(ret.cycle, ret.measured * first, "x", ms=7,
                label="measured retention × simulated first capacity")
    failed = s[s.status == "failed"]
    for row in failed.itertuples():
        ax.axvline(row.cycle, color="r", lw=0.6, ls=":")
    return _finish(fig, ax, "Cycle number", "Discharge capacity (mAh g$^{-1}$)",
                   f"Cycling: {result.protocol.name}")


def replay_figures(result) -> dict:
    """The figures that fit the protocol: name → matplotlib Figure."""
    figs = {}
    steps = result.steps
    has_ts = len(result.timeseries) > 0
    kinds = set(result.timeseries.kind) if has_ts else set()
    gitt = is_gitt(result)
    n_discharge = int((steps.direction == "discharge").sum())
    discharge_rates = steps.c_rate[steps.direction == "discharge"]
    if gitt:
        figs["voltage_time"] = voltage_time(result)
        figs["gitt_diffusivity"] = gitt_diffusivity_plot(result)
    elif has_ts and kinds & {"charge", "discharge"}:
        figs["voltage_capacity"] = voltage_capacity_steps(result)
        figs["dqdv"] = differential_capacity_plot(result)
    if steps.measured_capacity_mAh_per_g.notna().sum() > 1 or (
            n_discharge > 1 and discharge_rates.nunique() > 1):
        figs["rate_capability"] = rate_capability(result)
    if "sweep" in kinds:
        figs["cyclic_voltammogram"] = cyclic_voltammogram(result)
    if not gitt and n_discharge > 3 and discharge_rates.nunique() == 1:
        figs["capacity_vs_cycle"] = capacity_vs_cycle(result)
    if not gitt and has_ts and "rest" in kinds and n_discharge <= 1 and len(steps) > 6:
        figs["voltage_time"] = voltage_time(result)
    return figs


def _fmt(x, digits=4) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return ""
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def _md_table(frame: pd.DataFrame) -> str:
    if not len(frame):
        return "(none)\n"
    head = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns) + "\n"
    body = "".join("| " + " | ".join(_fmt(v) for v in row) + " |\n"
                   for row in frame.itertuples(index=False))
    return head + body


def report_markdown(result, figures: dict[str, str], cell: LoadedCell | None = None) -> str:
    """The replay's report.md; its parameter sources are those of ``cell``, the loaded cell
    that ran (default: the protocol's)."""
    proto = result.protocol
    cell = proto.cell if cell is None else cell
    p = proto.protocol
    lines = [f"# Replay: {p.name}", ""]
    if p.description:
        lines += [p.description.strip(), ""]
    lines += [
        f"- Protocol file: `{proto.path}`",
        f"- Cell: {proto.cell.name} (`{proto.cell.path}`)",
        f"- Model: {result.model} (PyBaMM, isothermal at each step's ambient temperature)",
        f"- Protocol source: {p.source}",
        f"- Wall time: {result.wall_time_s:.2f} s",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()),
        "",
    ]
    if p.assumptions:
        lines += ["## Assumptions stated in the protocol", ""]
        lines += [f"- {a}" for a in p.assumptions] + [""]
    if p.observations:
        lines += ["## Reported observations (qualitative, compare with the figures)", ""]
        lines += [f"- {o}" for o in p.observations] + [""]
    lines += ["## Simulated vs measured", ""]
    comp = result.comparisons.copy()
    if len(comp):
        comp["relative_error"] = comp.relative_error.map(
            lambda e: "" if not np.isfinite(e) else f"{100 * e:+.1f} %")
        lines.append(_md_table(comp[["step", "cycle", "label", "quantity", "simulated",
                                     "measured", "relative_error", "source"]]))
        lines += ["Relative error = (simulated - measured) / measured. These are comparisons, "
                  "not fits: parameters are fitted with `nasim fit`.", ""]
    else:
        lines += ["No measured values are attached to this protocol.", ""]
    failed = result.failed
    lines += ["## Failed steps", ""]
    if len(failed):
        lines.append(_md_table(failed[["step", "cycle", "direction", "description",
                                       "termination"]]))
    else:
        lines += ["None: every step reached its cut-off or limit.", ""]
    skipped = result.steps[result.steps.status == "skipped"]
    if len(skipped):
        lines += [f"{len(skipped)} step(s) skipped (e.g. GITT pulses after the titration "
                  "reached its cut-off).", ""]
    if result.notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in result.notes] + [""]
    lines += ["## Charge/discharge steps", ""]
    s = result.summary
    shown = s if len(s) <= 40 else pd.concat([s.head(20), s.tail(20)])
    lines.append(_md_table(shown[["step", "cycle", "direction", "c_rate", "current_mA_per_g",
                                  "temperature_C", "capacity_mAh_per_g", "median_voltage_V",
                                  "specific_energy_Wh_per_kg_cathode", "status"]]))
    if len(s) > 40:
        lines += [f"({len(s)} rows; the first and last 20 shown, all in summary.csv)", ""]
    lines += ["## Figures", ""]
    lines += [f"![{name}]({path})" for name, path in figures.items()] + [""]
    lines += ["## Parameter sources", ""]
    table = cell_provenance(cell)
    lines += [f"- {src}" for src in sources_used(table)] + [""]
    return "\n".join(lines)


def write_replay(result, out_dir: Path, cell: LoadedCell | None = None, fmt: str = "png",
                 dpi: int | None = None) -> list[Path]:
    """Write the replay's tables, figures (``fmt``: png, svg or pdf, at ``dpi``; default the
    style's 300) and report.md into ``out_dir``; ``cell``: the loaded cell that ran (its
    parameter sources go into the report)."""
    if fmt not in FORMATS:
        raise ValueError(f"figure format {fmt!r}: expected one of {', '.join(FORMATS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (("summary.csv", result.summary), ("steps.csv", result.steps),
                        ("comparisons.csv", result.comparisons),
                        ("timeseries.csv", result.timeseries)):
        save(out_dir / name, lambda p, f=frame: f.to_csv(p, index=False))
        written.append(out_dir / name)
    figures = {}
    for name, fig in replay_figures(result).items():
        path = save_figure(fig, out_dir / f"{name}.{fmt}", dpi)
        figures[name] = path.name
        written.append(path)
    summary = out_dir / "summary.json"
    summary.write_text(json.dumps({"protocol": str(result.protocol.path), "model": result.model,
                                   "mesh_points": result.mesh_points,
                                   "wall_time_s": result.wall_time_s}, indent=2),
                       encoding="utf-8")
    written.append(summary)
    report = out_dir / "report.md"
    write_text(report, report_markdown(result, figures, cell))
    written.append(report)
    return written
