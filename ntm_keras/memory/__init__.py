"""Memory: addressing functions and the memory-augmented RNN cells."""

from ntm_keras.memory import addressing
from ntm_keras.memory.dnc_cell import DNCCell
from ntm_keras.memory.ntm_cell import NTMCell
from ntm_keras.memory.reset_state import reset_state

__all__ = ["DNCCell", "NTMCell", "addressing", "reset_state"]
