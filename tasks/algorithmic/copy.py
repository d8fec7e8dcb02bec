"""The copy task of the NTM paper.

Legend: B = batch size, T = time steps, L = sequence length, D = bits.
"""

import tensorflow as tf

from ntm_keras import validation
from tasks.algorithmic.bit_task import BitTask
from tasks.registry import register
from tasks.task import TaskSpec, uniform_integers


@register("copy")
class Copy(BitTask):
    """Copy: read a sequence of random bit vectors, then write it back.

    The input shows `L` random `num_bits`-bit vectors, then a delimiter on
    its own channel, then nothing while the model must reproduce the
    vectors. Only the recall phase is scored. `L` is drawn uniformly from
    `[min_length, difficulty]` for each sequence; the difficulty is the
    current maximum length, `max_length` unless a curriculum lowers it (a
    mixing curriculum draws some train lengths from
    `[min_length, max_length]`).
    See [Graves et al. 2014](https://arxiv.org/abs/1410.5401), section 4.1.

    One example with `L = 3` and 4 bits (channel 4 is the delimiter):

    ```
    time      0123456
    input  0  #......
    input  1  .#.....
    input  2  ##.....
    input  3  ..#....
    input  4  ...#...
    target 0  ----#..
    target 1  ----.#.
    target 2  ----##.
    target 3  ----..#
    mask      0000111
    ```

    Batches are padded with zeros to the longest sequence in the batch
    (`T = 2 * L_max + 1`); padded steps have mask 0.

    Args:
        num_bits: int. Bits per vector. Defaults to `8`.
        min_length: int. Shortest training sequence. Defaults to `1`.
        max_length: int. Longest training sequence. Defaults to `20`.
        generalisation_lengths: tuple of int. Each gives a held-out split
            `length_<L>` of sequences of exactly that length. Defaults to
            `(30, 50, 80, 120)`.
        seed: int. Defaults to `0`.
        eval_size: int. Sequences per held-out split. Defaults to `1024`.

    Splits: `train` (endless), `validation` (lengths up to the current
    difficulty), `test` (lengths up to `max_length`), `length_<L>`.

    Example:

    >>> task = Copy(max_length=5)
    >>> inputs, targets, mask = next(iter(task.dataset("train", 2)))
    >>> inputs.shape[-1], targets.shape[-1]
    (9, 8)
    """

    difficulty_name = "max_length"

    def __init__(
        self,
        *,
        num_bits=8,
        min_length=1,
        max_length=20,
        generalisation_lengths=(30, 50, 80, 120),
        seed=0,
        eval_size=1024,
    ):
        super().__init__(seed=seed, eval_size=eval_size)
        self.num_bits = validation.check_positive_int("num_bits", num_bits)
        self.min_length, self.max_length = self.check_size_range(
            "min_length", min_length, "max_length", max_length
        )
        self.set_generalisation_sizes(
            "generalisation_lengths", generalisation_lengths, "length"
        )
        self.spec = TaskSpec(
            modality="bits", input_dim=num_bits + 1, output_dim=num_bits
        )
        self._init_difficulty(self.min_length, self.max_length)

    def length_range(self, split):
        """Returns the `(shortest, longest)` lengths of `split`, as tensors."""
        return self.split_size_range(
            split, self.min_length, self.max_length, "length"
        )

    def make_batch(self, split, batch_size, seed):
        low, high = self.length_range(split)
        length_seed, bits_seed = tf.unstack(
            tf.random.experimental.stateless_split(seed, 2)
        )
        lengths = tf.random.stateless_uniform(
            [batch_size],
            length_seed,
            minval=low,
            maxval=high + 1,
            dtype=tf.int32,
        )  # (B,)
        # A mixing curriculum draws some train lengths from the whole range.
        lengths = self.mix_full_range(
            split,
            tf.random.experimental.stateless_fold_in(length_seed, 1),
            lengths,
            lambda: uniform_integers(
                [batch_size],
                tf.random.experimental.stateless_fold_in(length_seed, 2),
                self.min_length,
                self.max_length,
            ),
        )
        longest = tf.reduce_max(lengths)
        time = 2 * longest + 1
        bits = tf.cast(
            tf.random.stateless_uniform(
                [batch_size, time, self.num_bits], bits_seed
            )
            < 0.5,
            tf.float32,
        )  # (B, T, D); only the first L steps of each row are used
        steps = tf.range(time)[None, :]  # (1, T)
        length = lengths[:, None]  # (B, 1)
        reading = tf.cast(steps < length, tf.float32)  # (B, T)
        delimiter = tf.cast(steps == length, tf.float32)  # (B, T)
        recalling = (steps > length) & (steps <= 2 * length)  # (B, T)
        inputs = tf.concat(
            [bits * reading[:, :, None], delimiter[:, :, None]], axis=-1
        )  # (B, T, D + 1)
        # Step t of the recall phase replays input step t - L - 1.
        source = tf.clip_by_value(steps - length - 1, 0, time - 1)
        mask = tf.cast(recalling, tf.float32)  # (B, T)
        targets = tf.gather(bits, source, batch_dims=1) * mask[:, :, None]
        return inputs, targets, mask
