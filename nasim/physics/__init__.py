"""Physics: choice of PyBaMM model classes and options, initial states from the OCVs."""

from nasim.physics.models import MODEL_NAMES, build_model
from nasim.physics.state import StateError, set_initial_state

__all__ = ["MODEL_NAMES", "StateError", "build_model", "set_initial_state"]
