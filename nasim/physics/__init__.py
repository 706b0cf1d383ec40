"""Physics: everything that speaks PyBaMM about a cell. PyBaMM parameter values
(:mod:`nasim.physics.values`), model classes and options (:mod:`.models`), aging submodels
(:mod:`.aging`), phase maps (:mod:`.phases`) and initial states (:mod:`.state`)."""

from nasim.physics.models import MODEL_NAMES, build_model
from nasim.physics.state import StateError, set_initial_state

__all__ = ["MODEL_NAMES", "StateError", "build_model", "set_initial_state"]
