"""Memory: addressing functions and the memory-augmented RNN cells."""

from ntm_keras.memory import addressing
from ntm_keras.memory.ntm_cell import NTMCell

__all__ = ["NTMCell", "addressing"]
