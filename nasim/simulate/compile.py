"""One gcc build at a time: the process-wide hook on PyBaMM's ahead-of-time compile.

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

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

LOCK_FILE = "nasim-compile.lock"


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
