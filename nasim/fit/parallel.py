"""The solves of one fit evaluation shared between this process and worker processes.

An evaluation of a fit solves each dataset once, and a finite-difference Jacobian solves each
(dataset, parameter) pair at two more points: independent tasks. :class:`Workers` runs them on
``options.processes`` processes, this one included: the others are spawned once per fit (a
fresh interpreter: nothing of this process's solver state is forked) and each loads the fit
and builds its models once (:class:`~nasim.fit.problem.FitProblem`, its built models kept in
:mod:`nasim.simulate.cache`), so that every later task of the fit only sets input values and
solves.

Tasks are handed out longest first (by the last measured solve time of their dataset): the
worker processes take them from the front of the queue, this process from the back, so that
the short tasks fill the end. A task is a method name of :class:`FitProblem` and its
arguments; its result is returned by value (what is pickled: numbers, report rows, solved
steps without their PyBaMM solutions).
"""

from __future__ import annotations

import multiprocessing
import pickle
import signal
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nasim.fit.loading import LoadedFit
    from nasim.fit.problem import FitProblem

#: tasks queued ahead in each worker process, so that it does not wait for this one
QUEUED_PER_WORKER = 2
_PROBLEM: FitProblem | None = None  # the worker process's own problem


def _start_worker(fit_bytes: bytes, sensitivities: bool) -> None:
    """Initialiser of a worker process: Ctrl-C is left to the coordinator; the fit is loaded
    once."""
    from nasim.fit.problem import FitProblem

    global _PROBLEM
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _PROBLEM = FitProblem(pickle.loads(fit_bytes), sensitivities=sensitivities, processes=1)


def _run(method: str, args: tuple) -> Any:
    """A task in a worker process."""
    assert _PROBLEM is not None
    return getattr(_PROBLEM, method)(*args)


class Workers:
    """``processes - 1`` worker processes beside this one, started at the first call of
    :meth:`map` with at least two tasks."""

    def __init__(self, fit: LoadedFit, processes: int, sensitivities: bool):
        self.fit, self.processes, self.sensitivities = fit, processes, sensitivities
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes - 1, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(pickle.dumps(self.fit), self.sensitivities))
        return self._pool

    def map(self, local: Callable[..., Any], method: str, tasks: Sequence[tuple],
            cost: Sequence[float]) -> list[Any]:
        """``getattr(problem, method)(*task)`` of every task, in the order of ``tasks``;
        ``local`` is that method of this process's problem; ``cost``: each task's expected
        time (any unit), longest handed out first."""
        if self.processes <= 1 or len(tasks) < 2:
            return [local(*t) for t in tasks]
        order = deque(sorted(range(len(tasks)), key=lambda i: -cost[i]))
        results: dict[int, Any] = {}
        running: dict[Future, int] = {}
        pool = self._executor()
        try:
            while order or running:
                while order and len(running) < QUEUED_PER_WORKER * (self.processes - 1):
                    i = order.popleft()
                    running[pool.submit(_run, method, tasks[i])] = i
                if order:
                    i = order.pop()
                    results[i] = local(*tasks[i])
                else:
                    wait(list(running), return_when="FIRST_COMPLETED")
                for fut in [f for f in running if f.done()]:
                    results[running.pop(fut)] = fut.result()
        except BaseException:
            self.close(now=True)
            raise
        return [results[i] for i in range(len(tasks))]

    def close(self, now: bool = False) -> None:
        """Stop the worker processes (``now``: without waiting for their tasks)."""
        if self._pool is None:
            return
        if now:
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.terminate()
        self._pool.shutdown(wait=not now, cancel_futures=now)
        self._pool = None
