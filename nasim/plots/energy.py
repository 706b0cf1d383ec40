"""Ragone plot from a Ragone table (no solving here)."""

from __future__ import annotations

import pandas as pd

from nasim.plots import figure_axes, styled

_LABELS = {"cathode_active": "cathode active", "active_pair": "cathode + anode active",
           "stack": "stack", "cell": "cell (with packaging)"}


@styled
def ragone_plot(frame: pd.DataFrame, title: str = "", ax=None):
    """Specific energy (Wh/kg) vs specific power (W/kg), log axes, one line per level.

    ``frame``: rows of :func:`nasim.simulate.energy.ragone` (current_mA_per_g, level, status,
    specific_energy_Wh_per_kg, specific_power_W_per_kg, error). Failed rates are listed under
    the axes, not plotted.
    """
    fig, ax = figure_axes(ax, (5.4, 4.2))
    ok = frame[frame.status == "ok"]
    for level, label in _LABELS.items():
        part = ok[ok.level == level].sort_values("specific_power_W_per_kg")
        if len(part):
            ax.plot(part.specific_power_W_per_kg, part.specific_energy_Wh_per_kg, "o-",
                    ms=3.5, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Specific power (W kg$^{-1}$)")
    ax.set_ylabel("Specific energy (Wh kg$^{-1}$)")
    if title:
        ax.set_title(title, fontsize=9)
    failed = sorted(set(frame.loc[frame.status != "ok", "current_mA_per_g"]))
    if failed:
        ax.text(0.01, 0.01, "failed: " + ", ".join(f"{c:g}" for c in failed) + " mA/g",
                transform=ax.transAxes, fontsize=6, va="bottom")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


__all__ = ["ragone_plot"]
