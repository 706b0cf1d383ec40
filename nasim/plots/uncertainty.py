"""Tornado figures: the inputs that drive a predicted quantity (from ``drivers.csv``)."""

from __future__ import annotations

import pandas as pd

TOP = 8


def tornado(drivers: pd.DataFrame, title: str, top: int = TOP):
    """Horizontal bars of the standardised regression coefficients of the ``top`` inputs
    (sign: the direction the quantity moves as the input rises), largest first."""
    import matplotlib.pyplot as plt

    part = drivers.sort_values("rank").head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(7.0, 0.45 * len(part) + 1.4))
    colors = ["#b2182b" if v > 0 else "#2166ac" for v in part.src]
    ax.barh(part.input, part.src, color=colors)
    ax.axvline(0.0, color="black", lw=0.8)
    r2 = float(part.r2.iloc[0]) if len(part) else float("nan")
    ax.set_xlabel(f"standardised regression coefficient (share of variance = SRC², "
                  f"R² = {r2:.2f})")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


__all__ = ["tornado"]
