"""Losses for the language tasks."""

from ntm_keras.losses.label_smoothed_cross_entropy import (
    LabelSmoothedCrossEntropy,
)

__all__ = ["LabelSmoothedCrossEntropy"]
