"""Compiled models: when nasim compiles, what a compiled build takes as inputs, and one gcc
build at a time (the process-wide hook on PyBaMM's ahead-of-time compile).

:func:`default_for`: :func:`nasim.replay` and :func:`nasim.simulate` compile the DFN by default
where gcc is found (``NASIM_COMPILE=0`` switches it off): it makes a repeat DFN solve 1.6-2x
faster (``benchmarks/dfn_accuracy_speed.py``) for one gcc build of about 8 s CPU per built
model, after which PyBaMM's on-disk cache serves it. A compiled build never bakes a value
into the library: :func:`value_paths` and :func:`value_names` make every scalar value of the
cell and every parameter-file path that can be an input
(:func:`nasim.physics.values.input_paths`) an input parameter, so that one library serves
every value of them (a fit's predictions, an edited cell file); only the structure
selects the library: model, options, mesh, tables, domain lengths and particle radii (also a
porosity or loading that changes an electrode's thickness). Runners that build a model per
sample or point (uncertainty samples, protocol sweeps) stay uncompiled unless asked.

IDAKLU's ``compile`` option (see :class:`nasim.simulate.engine.CellRunner` ``compiled``) has
PyBaMM compile a model's CasADi functions with gcc into a shared library cached on disk
(``$PYBAMM_CASADI_AOT_CACHE``, default ``$TMPDIR/pybamm_casadi_aot``). Worker processes that set
up the same model at once would each compile it; :func:`lock_compiles` wraps PyBaMM's compile
function (``pybamm.solvers.idaklu_solver.aot_compile``, the name the IDAKLU solver module
calls) once per process so that every compile holds :func:`compile_lock`: the first process
compiles, the others then load its library from the cache. This is the only place nasim
touches PyBaMM's compile machinery.
"""

from __future__ import annotations

import numbers
import os
import shutil
import tempfile
from collections.abc import Collection, Iterator
from contextlib import contextmanager

import pybamm

from nasim.params.loading import LoadedCell
from nasim.physics.values import WINDOW_PLACING_PATHS, input_paths

LOCK_FILE = "nasim-compile.lock"
ENV_SWITCH = "NASIM_COMPILE"  # "0": no compiled default
COMPILER = "gcc"  # PyBaMM's aot_compile default
_AGING_PATHS = "cathode.degradation."


def available() -> bool:
    """Whether the C compiler PyBaMM's compile calls is on the PATH."""
    return shutil.which(COMPILER) is not None


def default_for(model: str) -> bool:
    """Whether :func:`nasim.replay` and :func:`nasim.simulate` compile ``model`` unless told:
    the DFN, where gcc is found and the environment variable ``NASIM_COMPILE`` is not ``0``
    (SPM and SPMe solve in milliseconds; their compile takes longer than most of their runs)."""
    return model == "DFN" and os.environ.get(ENV_SWITCH, "1") != "0" and available()


def value_paths(cell: LoadedCell, declared: Collection[str], aging: bool) -> dict[str, float]:
    """The parameter-file paths of ``cell`` a compiled build takes as inputs, with their SI
    values: every path of :func:`~nasim.physics.values.input_paths` except those ``declared``
    (the runner's own inputs), those that place the electrodes' windows (they need the
    charged start), the aging constants without ``aging``, and a contact resistance the cell
    has none of (it would switch PyBaMM's contact-resistance option on)."""
    out = {}
    for path, (_, value) in input_paths(cell).items():
        if (path in declared or path in WINDOW_PLACING_PATHS
                or (path.startswith(_AGING_PATHS) and not aging)
                or (path == "contact_resistance" and cell.cell.contact_resistance is None)):
            continue
        out[path] = float(value)
    return out


def value_names(values: pybamm.ParameterValues, fixed: Collection[str]) -> dict[str, float]:
    """The scalar PyBaMM values of ``values`` a compiled build takes as inputs: every number
    except the names in ``fixed`` (step settings, domain lengths and radii, which set the mesh,
    and the runner's own inputs)."""
    fixed = set(fixed)
    return {k: float(v) for k, v in values.items()
            if isinstance(v, numbers.Real) and not isinstance(v, bool) and k not in fixed}


@contextmanager
def compile_lock() -> Iterator[None]:
    """Hold an exclusive lock file in PyBaMM's compile cache directory for the block. Without
    ``fcntl`` (Windows) nothing is locked."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    cache = (os.environ.get("PYBAMM_CASADI_AOT_CACHE")
             or os.path.join(tempfile.gettempdir(), "pybamm_casadi_aot"))
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, LOCK_FILE), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def lock_compiles() -> None:
    """Make IDAKLU's ahead-of-time compile hold :func:`compile_lock` (idempotent; a cached
    library is loaded under the lock too, in milliseconds)."""
    from pybamm.solvers import idaklu_solver

    compile_ = idaklu_solver.aot_compile
    if getattr(compile_, "nasim_locked", False):
        return

    def locked(fn_or_fns, **kwargs):
        with compile_lock():
            return compile_(fn_or_fns, **kwargs)

    locked.nasim_locked = True
    idaklu_solver.aot_compile = locked
