"""Losses for the sequence tasks."""

from ntm_keras.losses.sequence_binary_crossentropy import (
    SequenceBinaryCrossentropy,
)

__all__ = ["SequenceBinaryCrossentropy"]
