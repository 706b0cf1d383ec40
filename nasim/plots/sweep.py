"""Figures of a sweep's results table (no solving here): heatmaps over two axes and Ragone
families."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nasim.plots import column_label, plt, styled

_LEVEL_LABELS = {"cathode_active": "cathode active mass", "active_pair": "cathode + anode "
                 "active mass", "stack": "stack", "cell": "cell (with packaging)"}
_METRIC_LABELS = {
    "capacity_mAh_per_g": "Specific capacity (mAh g$^{-1}$ cathode)",
    "median_voltage_V": "Median voltage (V)",
    "mean_voltage_V": "Mean voltage (V)",
    **{f"specific_energy_Wh_per_kg_{k}": f"Specific energy (Wh kg$^{{-1}}$ {v})"
       for k, v in _LEVEL_LABELS.items()},
    **{f"energy_density_Wh_per_L_{k}": f"Energy density (Wh L$^{{-1}}$ {v})"
       for k, v in _LEVEL_LABELS.items()},
}


def metric_label(metric: str) -> str:
    """A human title for a metric or axis column (``column_label`` for the others)."""
    return _METRIC_LABELS.get(metric) or column_label(metric)


def _edges(values: np.ndarray, log: bool) -> np.ndarray:
    """Cell edges around sorted centre values (geometric midpoints on a log axis)."""
    v = np.log(values) if log else values
    if len(v) == 1:
        mids = np.array([v[0] - 0.5, v[0] + 0.5])
    else:
        inner = 0.5 * (v[1:] + v[:-1])
        mids = np.concatenate([[2 * v[0] - inner[0]], inner, [2 * v[-1] - inner[-1]]])
    return np.exp(mids) if log else mids


@styled
def heatmap(frame: pd.DataFrame, x: str, y: str, metric: str, *, log_x: bool = False,
            log_y: bool = False, title: str = "", ax=None):
    """``metric`` over columns ``x`` and ``y`` of a sweep's results (matplotlib Figure).

    Grid results are drawn as cells with their values written in; failed points are hatched
    grey with an ×. Scattered (sampled) results are drawn as coloured markers."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.0, 4.6))
    else:
        fig = ax.figure
    ok = frame[frame.status == "ok"]
    xs = np.sort(frame[x].unique())
    ys = np.sort(frame[y].unique())
    is_grid = len(frame) == len(xs) * len(ys) and len(frame.groupby([x, y])) == len(frame)
    if is_grid:
        grid = (ok.pivot_table(index=y, columns=x, values=metric)
                .reindex(index=ys, columns=xs).to_numpy(dtype=float))
        mesh = ax.pcolormesh(_edges(xs, log_x), _edges(ys, log_y), np.ma.masked_invalid(grid),
                             cmap="viridis", shading="flat")
        failed = frame[frame.status != "ok"]
        if len(failed):
            ax.scatter(failed[x], failed[y], marker="x", color="0.35", s=18,
                       label="failed point")
            ax.legend(fontsize=6, loc="upper right")
        if len(xs) * len(ys) <= 120:
            finite = grid[np.isfinite(grid)]
            mid = 0.5 * (finite.min() + finite.max()) if finite.size else 0.0
            for j, yv in enumerate(ys):
                for i, xv in enumerate(xs):
                    if np.isfinite(grid[j, i]):
                        ax.text(xv, yv, f"{grid[j, i]:.3g}", ha="center", va="center",
                                fontsize=5, color="white" if grid[j, i] < mid else "black")
    else:
        mesh = ax.scatter(ok[x], ok[y], c=ok[metric], cmap="viridis", s=14)
        failed = frame[frame.status != "ok"]
        if len(failed):
            ax.scatter(failed[x], failed[y], marker="x", color="0.35", s=14,
                       label="failed point")
            ax.legend(fontsize=6)
    fig.colorbar(mesh, ax=ax, label=metric_label(metric))
    if log_x:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(metric_label(x))
    ax.set_ylabel(metric_label(y))
    if title:
        ax.set_title(title, fontsize=8)
    fig.tight_layout()
    return fig


@styled
def ragone_families(frame: pd.DataFrame, family: str, level: str = "cathode_active", *,
                    title: str = "", ax=None):
    """Specific energy vs specific power at ``level`` (log axes), one line per value of
    column ``family`` (the points of a line differ in current). Failed points are left out and
    counted in the legend."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.6, 4.4))
    else:
        fig = ax.figure
    e_col = f"specific_energy_Wh_per_kg_{level}"
    p_col = f"specific_power_W_per_kg_{level}"
    values = np.sort(frame[family].unique())
    colors = plt.cm.viridis(np.linspace(0.0, 0.9, len(values)))
    for value, color in zip(values, colors, strict=True):
        part = frame[frame[family] == value]
        ok = part[(part.status == "ok") & np.isfinite(part[e_col])].sort_values(p_col)
        n_failed = int((part.status != "ok").sum())
        label = f"{value:.4g}" + (f" ({n_failed} failed)" if n_failed else "")
        ax.plot(ok[p_col], ok[e_col], "o-", ms=2.5, lw=1.0, color=color, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"Specific power (W kg$^{{-1}}$ {_LEVEL_LABELS[level]})")
    ax.set_ylabel(f"Specific energy (Wh kg$^{{-1}}$ {_LEVEL_LABELS[level]})")
    if title:
        ax.set_title(title, fontsize=8)
    ax.legend(fontsize=6, title=metric_label(family), title_fontsize=7)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


__all__ = ["heatmap", "metric_label", "ragone_families"]
