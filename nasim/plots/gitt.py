"""GITT figures of a replay (no solving here): the voltage-time trace and D(x) from the
pulses (:func:`nasim.analysis.gitt.gitt_diffusivity`)."""

from __future__ import annotations

import numpy as np

from nasim.analysis.gitt import gitt_diffusivity
from nasim.plots import figure_axes, styled, voltage_label
from nasim.protocols.schema import GittStep, step_tree


def is_gitt(result) -> bool:
    """Whether the replayed protocol has a GITT titration."""
    return any(isinstance(step, GittStep)
               for _, step in step_tree(result.protocol.protocol.steps))


@styled
def voltage_time(result, ax=None):
    """Voltage vs protocol time (GITT and other step sequences)."""
    fig, ax = figure_axes(ax, (6.0, 3.6))
    ts = result.timeseries
    ax.plot(ts.protocol_time_s / 3600.0, ts.voltage_V, lw=0.8)
    ax.set_xlabel("Time (h)")
    ax.set_ylabel(voltage_label(result.protocol.cell.configuration))
    ax.set_title(f"{result.protocol.name} ({result.model})")
    fig.tight_layout()
    return fig


@styled
def gitt_diffusivity_plot(result, ax=None):
    """Apparent solid diffusivity from each GITT pulse vs the cathode stoichiometry x (log
    axis), charge and discharge."""
    fig, ax = figure_axes(ax)
    radius = result.protocol.cell.design.cathode.particle_radius_m
    frame = gitt_diffusivity(result.steps, result.timeseries, radius)
    for direction, marker in (("charge", "^"), ("discharge", "v")):
        part = frame[(frame.direction == direction) & np.isfinite(frame.diffusivity_m2_per_s)
                     & (frame.diffusivity_m2_per_s > 0)]
        if len(part):
            ax.plot(part.stoichiometry, part.diffusivity_m2_per_s * 1e4, marker, ms=3.5,
                    label=direction)
    ax.set_yscale("log")
    ax.set_xlabel("Na content x in the cathode (stoichiometry)")
    ax.set_ylabel("Apparent diffusivity D (cm$^2$ s$^{-1}$)")
    ax.set_title(f"GITT diffusivity (Weppner-Huggins): {result.protocol.name}")
    if len(frame):
        ax.legend()
    fig.tight_layout()
    return fig
