"""The written-out unit factors (nasim/params/unit_factors.py) are pint's, and the bundled files
are read without importing pint (the one-second start of `nasim params validate`, issue 12)."""

import subprocess
import sys

from nasim.params.unit_factors import KNOWN
from nasim.params.units import known_spellings, pint_conversion, to_si


def test_written_factors_equal_pints():
    assert set(KNOWN) == set(known_spellings())
    for (name, unit), factors in KNOWN.items():
        assert factors == pint_conversion(unit, name), (name, unit)


def test_other_spellings_still_go_through_pint():
    assert ("areal_mass", "mg cm-2") not in KNOWN
    assert to_si(2.5, "mg cm-2", "areal_mass") == to_si(2.5, "mg/cm2", "areal_mass") == 0.025


def test_bundled_cells_load_without_pint():
    code = ("import sys\nfrom nasim.params import load_cell\n"
            "for c in ('heo_half', 'nfm_half', 'heo_hc_full', 'chayambuka2022_full'):\n"
            "    load_cell(f'parameter_sets/cells/{c}.yaml')\n"
            "assert 'pint' not in sys.modules, 'pint imported'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-500:]
