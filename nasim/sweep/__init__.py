"""What-if studies over cell parameters, current and temperature (``nasim sweep``).

A study file (:mod:`nasim.sweep.schema`; its points: :mod:`nasim.sweep.study`) names a cell, a
measure or a protocol and the axes; :func:`sweep` runs its points on local processes or Dask
distributed, stores every finished point in ``DIR/sweep.sqlite`` (a killed sweep started again
computes only the missing points) and returns the results table.
"""

from nasim.sweep.run import DASK_LOCAL, SweepRun, results_frame, study_figures, sweep
from nasim.sweep.schema import Study
from nasim.sweep.study import LoadedStudy, load_study

__all__ = ["DASK_LOCAL", "LoadedStudy", "Study", "SweepRun", "load_study", "results_frame",
           "study_figures", "sweep"]
