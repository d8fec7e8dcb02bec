"""Losses for the sequence and language tasks."""

from ntm_keras.losses.label_smoothed_cross_entropy import (
    LabelSmoothedCrossEntropy,
)
from ntm_keras.losses.sequence_binary_crossentropy import (
    SequenceBinaryCrossentropy,
)

__all__ = ["LabelSmoothedCrossEntropy", "SequenceBinaryCrossentropy"]
