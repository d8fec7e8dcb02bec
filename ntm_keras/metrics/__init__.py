"""Sequence metrics for the bit-vector tasks of the NTM paper, and bAbI."""

from ntm_keras.metrics.bayes_optimal_bits_per_sequence import (
    BayesOptimalBitsPerSequence,
)
from ntm_keras.metrics.bit_errors_per_sequence import BitErrorsPerSequence
from ntm_keras.metrics.bits_per_sequence import BitsPerSequence
from ntm_keras.metrics.question_error_rate import QuestionErrorRate
from ntm_keras.metrics.sequence_accuracy import SequenceAccuracy
from ntm_keras.metrics.sequence_mean import SequenceMean

__all__ = [
    "BayesOptimalBitsPerSequence",
    "BitErrorsPerSequence",
    "BitsPerSequence",
    "QuestionErrorRate",
    "SequenceAccuracy",
    "SequenceMean",
]
