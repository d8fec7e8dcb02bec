"""The dynamic n-grams task of the NTM paper.

Legend: B = batch size, T = time steps, C = number of contexts (2^k), k =
context length.
"""

import math

import tensorflow as tf

from ntm_keras import metrics, validation
from tasks.algorithmic.bit_task import BitTask
from tasks.registry import register
from tasks.task import TaskSpec, uniform_integers

MAX_CONTEXT_LENGTH = 8
# Largest train batch whose bits are drawn with the parallel walk.
PARALLEL_MAX_BATCH = 8


@register("ngrams")
class NGrams(BitTask):
    """Dynamic n-grams: predict each next bit of a sequence from a fresh table.

    Every sequence draws its own n-gram table: for each of the `2^k`
    contexts of `k = context_length` bits, the probability that the next bit
    is 1, from Beta(1/2, 1/2). The first `k` bits are fair coin flips; each
    later bit follows the table entry of the `k` bits before it. The model
    reads the sequence one bit at a time and at each step gives the
    probability that the next bit is 1: the input at step `t` is bit
    `t - 1` (0 at step 0) and the target is bit `t`. Since the table is new
    for each sequence, the model must count, within the sequence, how often
    each context was followed by a 1: a fast-changing memory of 2^k counts.
    See [Graves et al. 2014](https://arxiv.org/abs/1410.5401), section 4.4
    (6-grams, so `k = 5`, and 200 bits per sequence).

    The best possible predictor gives `(N1 + 1/2) / (N1 + N0 + 1)`, with
    `N1` and `N0` the ones and zeros that followed the current context so
    far in the sequence; its cost is reported beside the model's as
    `bayes_optimal_bits_per_sequence`, so the gap is how far the model is
    from optimal. Bit errors and sequence accuracy are not reported: the
    targets are random, and even the optimal predictor gets many bits
    wrong.

    The length of each sequence is drawn uniformly from
    `[min_length, difficulty]`; the difficulty is `max_length` unless a
    curriculum lowers it. Both default to 200, the paper's fixed length, so
    give a smaller `min_length` to train on a range of lengths (and to give a
    curriculum room).

    One example of 16 bits with `k = 2` (every step is scored):

    ```
    time      0123456789012345
    input   0 .##..###..#.##.#
    target  0 ##..###..#.##.#.
    mask      1111111111111111
    ```

    Batches are padded with zeros to the longest sequence; padded steps
    have mask 0.

    Args:
        context_length: int. Bits of context `k`, at most 8; the task
            predicts `(k + 1)`-grams. Defaults to `5`.
        min_length: int. Fewest bits per training sequence. Defaults to
            `200`.
        max_length: int. Most bits per training sequence. Defaults to `200`.
        generalisation_lengths: tuple of int. Each gives a held-out split
            `length_<L>` of sequences of exactly `L` bits, on which the
            optimal cost per bit falls as the counts grow. Defaults to
            `(400, 1000)`.
        seed: int. Defaults to `0`.
        eval_size: int. Sequences per held-out split. Defaults to `1024`.

    Splits: `train` (endless), `validation` (up to the current difficulty),
    `test` (up to `max_length`), `length_<L>`.

    Example:

    >>> task = NGrams()
    >>> task.spec.input_dim, task.spec.output_dim
    (1, 1)
    """

    difficulty_name = "max_length"

    def __init__(
        self,
        *,
        context_length: int = 5,
        min_length: int = 200,
        max_length: int = 200,
        generalisation_lengths: tuple[int, ...] = (400, 1000),
        seed: int = 0,
        eval_size: int = 1024,
    ):
        super().__init__(seed=seed, eval_size=eval_size)
        self.context_length = validation.check_int(
            "context_length",
            context_length,
            minimum=1,
            maximum=MAX_CONTEXT_LENGTH,
        )
        self.min_length, self.max_length = self.check_size_range(
            "min_length", min_length, "max_length", max_length
        )
        self.set_generalisation_sizes(
            "generalisation_lengths", generalisation_lengths, "length"
        )
        self.spec = TaskSpec(modality="bits", input_dim=1, output_dim=1)
        self._init_difficulty(self.min_length, self.max_length)

    def metrics(self):
        return [
            metrics.BitsPerSequence(),
            metrics.BayesOptimalBitsPerSequence(
                context_length=self.context_length
            ),
        ]

    def length_range(self, split: str) -> tuple[tf.Tensor, tf.Tensor]:
        """Returns the `(shortest, longest)` lengths of `split`, as tensors."""
        return self.split_size_range(
            split, self.min_length, self.max_length, "length"
        )

    def longest(self, split: str) -> int:
        """Returns the most bits a sequence of `split` can have."""
        if split in ("train", "validation", "test"):
            return self.max_length
        return int(split.removeprefix("length_"))

    def make_batch(
        self, split: str, batch_size: tf.Tensor, seed: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        length_seed, choice_seed, full_seed, table_seed, bits_seed = tf.unstack(
            tf.random.experimental.stateless_split(seed, 5)
        )
        shortest, longest = self.length_range(split)
        lengths = self.mix_full_range(
            split,
            choice_seed,
            uniform_integers([batch_size], length_seed, shortest, longest),
            lambda: uniform_integers(
                [batch_size], full_seed, self.min_length, self.max_length
            ),
        )  # (B,)
        time = tf.reduce_max(lengths)
        tables = self.sample_tables(batch_size, table_seed)  # (B, C)
        bits = self.sample_bits(
            tables,
            time,
            bits_seed,
            self.longest(split),
            # Train batches have a Python batch size: walk a small one in
            # parallel (batch 1 is 8 times faster), a large one step by step.
            parallel=isinstance(batch_size, int)
            and batch_size <= PARALLEL_MAX_BATCH,
        )  # (B, T)
        steps = tf.range(time)[None, :]  # (1, T)
        valid = tf.cast(steps < lengths[:, None], tf.float32)  # (B, T)
        targets = bits * valid  # (B, T)
        # Step t shows bit t - 1; step 0 shows 0.
        inputs = tf.pad(bits, [[0, 0], [1, 0]])[:, :-1] * valid  # (B, T)
        return inputs[:, :, None], targets[:, :, None], valid

    def sample_tables(
        self, batch_size: int | tf.Tensor, seed: tf.Tensor
    ) -> tf.Tensor:
        """Draws one n-gram table per sequence.

        Args:
            batch_size: scalar int tensor.
            seed: `(2,)` seed.

        Returns:
            `(batch_size, 2^k)` float32: entry `c` is the probability that
            a bit after context `c` is 1, drawn from Beta(1/2, 1/2). Context
            `c` is `sum_j bit[t - j] * 2^(j - 1)` for `j = 1..k`: the latest
            bit is its lowest binary digit.
        """
        # Beta(1/2, 1/2) is the arcsine law, whose CDF is (2 / pi) *
        # asin(sqrt(p)); inverting it, p = sin(pi u / 2)^2 for u ~ U(0, 1).
        uniform = tf.random.stateless_uniform(
            [batch_size, 2**self.context_length], seed
        )
        return tf.sin(math.pi / 2 * uniform) ** 2

    def sample_bits(
        self,
        tables: tf.Tensor,
        time: int | tf.Tensor,
        seed: tf.Tensor,
        max_time: int,
        parallel: bool = False,
    ) -> tf.Tensor:
        """Draws `time` bits per sequence from its n-gram table.

        The first `k` bits are fair coin flips; bit `t >= k` is 1 with the
        probability its table gives the context of bits `t - k .. t - 1`.
        The bits form a walk over the `2^k` contexts: step `t` maps context
        `c` to `(2 c + bit) mod 2^k`. This draws, at every step, the bit that
        would follow every context, then follows the walk from context 0,
        either step by step (`tf.scan`, `time` small steps) or by composing
        the step maps with a parallel prefix scan (Hillis & Steele,
        `ceil(log2(max_time))` gathers over all contexts). Both give the
        same bits; the parallel walk is faster for a few sequences, the
        sequential one for a batch of many.

        Args:
            tables: `(batch_size, 2^k)` float tensor from `sample_tables`.
            time: scalar int tensor, at most `max_time`.
            seed: `(2,)` seed.
            max_time: int. A Python bound on `time`, for the parallel walk.
            parallel: bool. Use the parallel walk. Defaults to `False`.

        Returns:
            `(batch_size, time)` float32 bits.
        """
        num_contexts = 2**self.context_length
        batch_size = tf.shape(tables)[0]
        noise = tf.random.stateless_uniform([time, batch_size], seed)
        steps = tf.range(time)[:, None, None]  # (T, 1, 1)
        ones = tf.where(
            steps < self.context_length, 0.5, tables[None, :, :]
        )  # (T, B, C): the chance that each context is followed by a 1
        bits = tf.cast(noise[:, :, None] < ones, tf.int32)  # (T, B, C)
        # Step t's map: context c -> c with its new bit appended.
        maps = tf.math.floormod(
            2 * tf.range(num_contexts) + bits, num_contexts
        )  # (T, B, C)
        if parallel:
            contexts = _walk_in_parallel(maps, max_time)  # (T, B)
        else:
            contexts = tf.scan(
                lambda context, step_map: tf.gather(
                    step_map, context, batch_dims=1
                ),
                maps,
                initializer=tf.zeros([batch_size], tf.int32),
            )  # (T, B): the context after each step
        # Binary digit 0 of the context after step t is bit t.
        return tf.cast(tf.transpose(contexts) % 2, tf.float32)  # (B, T)


def _walk_in_parallel(maps, max_time):
    """Follows the walk from context 0 with a parallel prefix scan.

    Args:
        maps: `(T, B, C)` int32: `maps[t, b, c]` is the context after step
            `t` from context `c`.
        max_time: int. A Python bound on `T`.

    Returns:
        `(T, B)` int32: the context after each step, from context 0.
    """
    time, batch_size, num_contexts = tf.unstack(tf.shape(maps))
    identity = tf.broadcast_to(tf.range(num_contexts), tf.shape(maps))
    # Offset of each (step, sequence) row in the flattened maps, so that one
    # flat gather looks up within rows (faster than batch_dims=2).
    rows = tf.reshape(
        tf.range(time * batch_size) * num_contexts,
        [time, batch_size, 1],
    )
    # composed[t] maps the context before step t - shift + 1 to the one
    # after step t; with shift >= T it maps the start to step t's context.
    composed = maps
    shift = 1
    while shift < max_time:
        # Prepend the maps of steps t - 2 shift + 1 .. t - shift (identity
        # before step 0): composed[t] := composed[t] o composed[t - shift].
        earlier = tf.concat([identity[:shift], composed[:-shift]], axis=0)[
            :time
        ]  # (T, B, C)
        composed = tf.gather(tf.reshape(composed, [-1]), rows + earlier)
        shift *= 2
    return composed[:, :, 0]  # (T, B)
