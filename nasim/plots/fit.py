"""Figures of a fit: measured vs fitted curves with their residuals, and the scalar targets
(called by :func:`nasim.fit.output.write_all`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from nasim.params.units import time_to_curve_x
from nasim.plots import plt, save_figure, styled


@styled
def fit_figures(datasets: Sequence, rows: pd.DataFrame, steps: Mapping, cathode_mass_kg: float,
                out_dir: Path, fmt: str = "png", dpi: int | None = None) -> list[Path]:
    """``fit_curves.png`` (measured and fitted voltage [V] of every curve, residuals [mV]) and
    ``fit_targets.png`` (scalar targets fitted / measured, relative errors [%]) in ``out_dir``,
    or ``.svg``/``.pdf`` (``fmt``); returns the paths written.

    ``datasets``: the fit's datasets (``name``, ``curves`` with ``step``, ``x``, ``x_unit``,
    ``voltage_V``); ``rows``: one per residual (``dataset`` index, ``kind`` curve/target,
    ``step``, ``x``, ``label``, ``measured``, ``simulated``, ``relative_error``); ``steps``:
    (dataset index, step label) -> the solved step (``time_s`` [s], ``voltage_V``, ``step``
    with ``current_A``) or the error it raised; ``cathode_mass_kg``: for x in mAh/g."""
    out: list[Path] = []
    with_curves = [(k, ds) for k, ds in enumerate(datasets) if ds.curves]
    if with_curves:
        fig, axes = plt.subplots(2, len(with_curves), figsize=(5.0 * len(with_curves), 6.5),
                                 dpi=130, squeeze=False, sharex="col",
                                 gridspec_kw={"height_ratios": [3, 1.3]})
        for col, (k, ds) in enumerate(with_curves):
            ax, axr = axes[0, col], axes[1, col]
            for c in ds.curves:
                s = steps.get((k, c.step))
                line = ax.plot(c.x, c.voltage_V, "o", ms=2.5, alpha=0.6,
                               label=f"{c.step} measured")[0]
                if hasattr(s, "voltage_V"):
                    x = time_to_curve_x(s.time_s, c.x_unit, abs(s.step.current_A),
                                        cathode_mass_kg)
                    ax.plot(x, s.voltage_V, "-", color=line.get_color(), label=f"{c.step} fitted")
                g = rows[(rows.kind == "curve") & (rows.dataset == k) & (rows.step == c.step)]
                axr.plot(g.x, 1e3 * (g.simulated - g.measured), "o", ms=2.5,
                         color=line.get_color())
            ax.set_ylabel("Voltage (V)")
            ax.set_title(ds.name, fontsize=9)
            ax.legend(fontsize=6)
            ax.grid(alpha=0.3)
            axr.axhline(0, color="k", lw=0.6)
            axr.set_ylabel("fitted - measured (mV)")
            axr.set_xlabel(f"{ds.curves[0].x_unit}")
            axr.grid(alpha=0.3)
        fig.tight_layout()
        out.append(save_figure(fig, out_dir / f"fit_curves.{fmt}", dpi))
    targets = rows[rows.kind == "target"] if len(rows) else rows
    if len(targets):
        fig, (ax, axr) = plt.subplots(1, 2, figsize=(11, 0.35 * len(targets) + 2.0), dpi=130)
        labels = [f"{datasets[int(r.dataset)].name}: {r.label}" for r in targets.itertuples()]
        y = np.arange(len(targets))
        ax.barh(y - 0.2, targets.measured / targets.measured, 0.4, label="measured")
        ax.barh(y + 0.2, targets.simulated / targets.measured, 0.4, label="fitted")
        ax.set_yticks(y, labels, fontsize=6)
        ax.set_xlabel("value / measured")
        ax.set_xlim(0.5, 1.2)
        ax.legend(fontsize=7)
        axr.barh(y, 100 * targets.relative_error)
        axr.axvline(0, color="k", lw=0.6)
        axr.set_yticks(y, [""] * len(y))
        axr.set_xlabel("relative error (%)")
        for a in (ax, axr):
            a.invert_yaxis()
            a.grid(alpha=0.3, axis="x")
        fig.tight_layout()
        out.append(save_figure(fig, out_dir / f"fit_targets.{fmt}", dpi))
    return out
