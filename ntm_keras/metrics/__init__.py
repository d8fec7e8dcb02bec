"""Sequence metrics for the bit-vector tasks of the NTM paper."""

from ntm_keras.metrics.bit_errors_per_sequence import BitErrorsPerSequence
from ntm_keras.metrics.bits_per_sequence import BitsPerSequence
from ntm_keras.metrics.sequence_accuracy import SequenceAccuracy
from ntm_keras.metrics.sequence_mean import SequenceMean

__all__ = [
    "BitErrorsPerSequence",
    "BitsPerSequence",
    "SequenceAccuracy",
    "SequenceMean",
]
