"""Figures from results (no solving here): matplotlib Figures a paper would show.

Importing this package leaves matplotlib's backend alone (a notebook keeps its inline backend,
a script the one it chose); the command line selects ``Agg`` itself.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt

#: the package's matplotlib style file (package data)
STYLE = Path(__file__).with_name("nasim.mplstyle")
#: figure file formats of ``--format``
FORMATS = ("png", "svg", "pdf")

CAPACITY_LABEL = "Specific capacity (mAh g$^{-1}$)"
CURRENT_DENSITY_LABEL = "Current (mA g$^{-1}$)"

#: column-name unit suffixes -> the unit in words (longest first)
_UNITS = {"_mAh_per_g": "mAh g$^{-1}$", "_mA_per_g": "mA g$^{-1}$",
          "_mg_per_cm2": "mg cm$^{-2}$", "_mA_per_cm2": "mA cm$^{-2}$",
          "_Wh_per_kg": "Wh kg$^{-1}$", "_W_per_kg": "W kg$^{-1}$", "_Wh_per_L": "Wh L$^{-1}$",
          "_m2_per_s": "m$^2$ s$^{-1}$", "_um": "µm", "_mAh": "mAh", "_degC": "°C", "_C": "°C",
          "_K": "K", "_V": "V", "_A": "A", "_s": "s", "_h": "h"}
_NAMES = {"c_rate": "C-rate", "current": "Current (mA g$^{-1}$)",
          "temperature": "Temperature (°C)", "np_ratio": "N/P ratio"}


def styled(draw):
    """Draw a figure inside nasim's style (``STYLE``) without touching the user's rcParams."""
    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with plt.style.context(STYLE):
            return draw(*args, **kwargs)
    return wrapper


def figure_axes(ax=None, size: tuple[float, float] = (5.4, 4.0)):
    """(figure, axes): a new figure of ``size`` inches, or the given axes and its figure."""
    if ax is None:
        return plt.subplots(figsize=size)
    return ax.figure, ax


def voltage_label(configuration: str) -> str:
    """The voltage axis: against Na metal for a half cell, the cell's voltage otherwise."""
    return "Voltage (V vs Na$^+$/Na)" if configuration == "half" else "Cell voltage (V)"


def rate_label(c_rate: float | None) -> str:
    """A C-rate as a label: ``0.2C``, ``5C`` ("" when unknown)."""
    if c_rate is None or c_rate != c_rate:
        return ""
    return f"{c_rate:.3g}C"


def column_label(column: str) -> str:
    """A human axis title for a table column: ``cathode.loading_mg_per_cm2`` -> ``Cathode
    loading (mg cm⁻²)``, ``c_rate`` -> ``C-rate``."""
    if column in _NAMES:
        return _NAMES[column]
    name, unit = column, ""
    for suffix, words in _UNITS.items():
        if column.endswith(suffix) and len(column) > len(suffix):
            name, unit = column[: -len(suffix)], words
            break
    name = re.sub(r"[._]+", " ", name).strip()
    name = name[:1].upper() + name[1:]
    return f"{name} ({unit})" if unit else name


def save_figure(fig, path: Path, dpi: int | None = None) -> Path:
    """Save ``fig`` to ``path`` atomically (its suffix is the format: png, svg or pdf; ``dpi``
    default the style's 300) and close it."""
    from nasim.rundir import atomic

    with atomic(path) as tmp:
        fig.savefig(tmp, format=Path(path).suffix[1:], dpi=dpi or "figure")
    plt.close(fig)
    return Path(path)


@styled
def voltage_capacity(results: Sequence, ax=None):
    """Voltage vs specific capacity (mAh/g of cathode active material), one line per result."""
    fig, ax = figure_axes(ax, (5.0, 3.8))
    for r in results:
        frame = r.timeseries
        label = (f"{rate_label(r.c_rate)} {r.direction}, {r.model}, "
                 f"{r.temperature_K - 273.15:.0f} °C")
        ax.plot(frame.capacity_mAh_per_g, frame.voltage_V, label=label)
    ax.set_xlabel(CAPACITY_LABEL)
    if results:
        ax.set_ylabel(voltage_label(results[0].cell.configuration))
        ax.set_title(results[0].cell.name)
    ax.legend()
    fig.tight_layout()
    return fig
