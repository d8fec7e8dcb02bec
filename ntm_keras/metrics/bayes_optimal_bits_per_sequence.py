"""The cost of the Bayes-optimal predictor on the dynamic n-grams task.

Legend: B = batch size, T = time steps, C = number of contexts (2^k).
"""

import math

import keras
from keras import ops

from ntm_keras import validation
from ntm_keras.metrics.sequence_mean import SequenceMean


@keras.saving.register_keras_serializable(package="ntm_keras")
class BayesOptimalBitsPerSequence(SequenceMean):
    """Bits per sequence that the Bayes-optimal predictor would pay.

    On the dynamic n-grams task each sequence draws a fresh table of
    next-bit probabilities, one per context of the `context_length` bits
    before a step, from Beta(1/2, 1/2), and the first `context_length` bits
    are fair coin flips. Knowing only what it has seen of the sequence, the
    best predictor says the first `context_length` bits are 1 with
    probability 1/2, and every later bit is 1 with probability
    `(N1 + 1/2) / (N1 + N0 + 1)`, where `N1` and `N0` count the ones and
    zeros that followed the same context earlier in the sequence
    ([Graves et al. 2014](https://arxiv.org/abs/1410.5401), section 4.4).
    This metric sums that predictor's cross-entropy in bits over the scored
    steps of each sequence and averages over sequences, so it sits beside
    `BitsPerSequence` as the floor the model's cost can reach.

    It reads only `y_true` (the whole bit sequence, since the targets are
    every bit) and ignores `y_pred`. Steps are counted from the start of
    `y_true`; padding after a sequence's end must carry mask 0.

    Args:
        context_length: int. Bits of context `k` (the task's n-gram order
            minus 1). Defaults to `5`.
        name: str. Defaults to `"bayes_optimal_bits_per_sequence"`.
        dtype: Dtype of the result. Defaults to `None` (float32).

    Call arguments (`update_state`):
        y_true: `(batch_size, time, 1)` bits in {0, 1}.
        y_pred: ignored; any tensor.
        sample_weight: `(batch_size, time)`, 1 where the bit is scored.

    Example:

    >>> metric = BayesOptimalBitsPerSequence(context_length=1)
    >>> metric.update_state([[[1.0], [1.0], [1.0]]], [[[0.5], [0.5], [0.5]]])
    >>> round(float(metric.result()), 3)  # 1 + 1 - log2(1.5 / 2)
    2.415
    """

    def __init__(
        self,
        context_length=5,
        name="bayes_optimal_bits_per_sequence",
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        self.context_length = validation.check_positive_int(
            "context_length", context_length
        )

    def sequence_values(self, y_true, y_pred, mask):
        del y_pred  # the optimum depends on the sequence alone
        return scored_bayes_cost(y_true[:, :, 0], mask, self.context_length)

    def get_config(self):
        return {**super().get_config(), "context_length": self.context_length}


def optimal_probabilities(bits, context_length):
    """Returns the Bayes-optimal probability that each bit is 1.

    Args:
        bits: `(batch_size, time)` float tensor of bits.
        context_length: int. Bits of context `k`.

    Returns:
        `(batch_size, time)`: 1/2 for the first `k` steps, then
        `(N1 + 1/2) / (N1 + N0 + 1)` with the counts of ones and zeros seen
        after the step's context at earlier steps.
    """
    time = ops.shape(bits)[1]
    # Context of step t: sum_j bit[t - j] * 2^(j - 1) for j = 1..k.
    context = ops.zeros_like(bits)
    for offset in range(1, context_length + 1):
        earlier = ops.pad(bits, [[0, 0], [offset, 0]])[:, :time]  # (B, T)
        context = context + earlier * float(2 ** (offset - 1))
    steps = ops.arange(time)[None, :]  # (1, T)
    full_context = ops.cast(steps >= context_length, bits.dtype)  # (1, T)
    one_hot = (
        ops.one_hot(
            ops.cast(context, "int32"), 2**context_length, dtype=bits.dtype
        )
        * full_context[:, :, None]
    )  # (B, T, C); 0 before a full context
    # Counts up to and including each step, minus the step itself.
    seen = ops.cumsum(one_hot, axis=1) - one_hot  # (B, T, C)
    ones = ops.cumsum(one_hot * bits[:, :, None], axis=1) - (
        one_hot * bits[:, :, None]
    )  # (B, T, C)
    seen_here = ops.sum(seen * one_hot, axis=-1)  # (B, T): N1 + N0
    ones_here = ops.sum(ones * one_hot, axis=-1)  # (B, T): N1
    # Before a full context both counts are 0, which gives 1/2.
    return (ones_here + 0.5) / (seen_here + 1.0)


def scored_bayes_cost(bits, mask, context_length):
    """Sums the Bayes-optimal cost in bits over the scored steps.

    Args:
        bits: `(batch_size, time)` float tensor of bits.
        mask: `(batch_size, time)`, 1 where scored.
        context_length: int. Bits of context `k`.

    Returns:
        `(batch_size,)` bits per sequence.
    """
    probabilities = optimal_probabilities(bits, context_length)
    # The estimate lies in [1 / (2n + 2), 1 - 1 / (2n + 2)]: never 0 or 1.
    nats = -(
        bits * ops.log(probabilities)
        + (1.0 - bits) * ops.log(1.0 - probabilities)
    )
    return ops.sum(nats * mask, axis=1) / math.log(2.0)
