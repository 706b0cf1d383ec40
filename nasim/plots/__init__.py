"""Figures from results (no solving here): matplotlib Figures a paper would show.

Importing this package leaves matplotlib's backend alone (a notebook keeps its inline backend,
a script the one it chose); the command line selects ``Agg`` itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt


def figure_axes(ax=None, size: tuple[float, float] = (5.4, 4.0)):
    """(figure, axes): a new figure of ``size`` inches, or the given axes and its figure."""
    if ax is None:
        return plt.subplots(figsize=size, dpi=150)
    return ax.figure, ax


def voltage_capacity(results: Sequence, ax=None):
    """Voltage vs specific capacity (mAh/g of cathode active material), one line per result."""
    fig, ax = figure_axes(ax, (5.0, 3.8))
    for r in results:
        frame = r.timeseries
        label = f"{r.model}, {r.c_rate:.3g}C {r.direction}, {r.temperature_K - 273.15:.0f} °C"
        ax.plot(frame.capacity_mAh_per_g, frame.voltage_V, label=label)
    ax.set_xlabel("Specific capacity (mAh g$^{-1}$ cathode)")
    ax.set_ylabel("Voltage (V)")
    if results:
        ax.set_title(results[0].cell.name, fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
