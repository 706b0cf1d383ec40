"""Physics: everything that speaks PyBaMM about a cell. PyBaMM parameter values
(:mod:`nasim.physics.values`), model classes and options (:mod:`.models`), aging submodels
(:mod:`.aging`), phase maps (:mod:`.phases`) and initial states (:mod:`.state`)."""

import os

# PyBaMM is imported below this package (and by nasim.simulate through it): no telemetry prompt
os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")

from nasim.physics.models import MODEL_NAMES, build_model  # noqa: E402
from nasim.physics.state import StateError, set_initial_state  # noqa: E402

__all__ = ["MODEL_NAMES", "StateError", "build_model", "set_initial_state"]
