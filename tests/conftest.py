import os
from pathlib import Path

import pytest

os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MPLBACKEND", "Agg")
# no gcc build per distinct test model (nasim.replay/simulate compile the DFN by default where
# gcc is found); tests/test_compile.py tests the compiled builds
os.environ.setdefault("NASIM_COMPILE", "0")

ROOT = Path(__file__).resolve().parents[1]
CELLS = ROOT / "parameter_sets" / "cells"


@pytest.fixture(scope="session")
def heo_half():
    import nasim

    return nasim.load_cell(CELLS / "heo_half.yaml")


@pytest.fixture(scope="session")
def heo_hc_full():
    import nasim

    return nasim.load_cell(CELLS / "heo_hc_full.yaml")
