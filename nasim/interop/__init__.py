"""nasim in the PyBaMM ecosystem: a cell as a plain PyBaMM model and parameter values
(:func:`to_pybamm`), PyBaMM parameter values and BPX files as nasim parameter files
(:func:`from_pybamm`, :func:`from_bpx`) and nasim cells as BPX (:func:`to_bpx`).

This floor sits beside ``simulate``: it may import params, physics and simulate; nothing below
imports it."""

from __future__ import annotations

from nasim.interop.bpx import to_bpx
from nasim.interop.bpx_import import from_bpx
from nasim.interop.importing import from_pybamm
from nasim.interop.model import to_pybamm

__all__ = ["from_bpx", "from_pybamm", "to_bpx", "to_pybamm"]
