"""The repeat copy task of the NTM paper.

Legend: B = batch size, T = time steps, L = sequence length, R = repeat
count, D = bits.
"""

import math

import numpy as np
import tensorflow as tf

from ntm_keras import validation
from tasks.algorithmic.bit_task import BitTask
from tasks.registry import register
from tasks.task import TaskSpec, uniform_integers


@register("repeat_copy")
class RepeatCopy(BitTask):
    """Repeat copy: read a sequence and a count, write it that many times.

    The input shows `L` random `num_bits`-bit vectors, then one step with a
    delimiter on its own channel and the repeat count `R` on another; then
    nothing while the model must write the `L` vectors `R` times in a row
    and, on the step after the last copy, an end marker on an extra output
    channel. To place the end marker the model must read the count and keep
    track of the copies it has written. The count channel holds `R`
    standardised to mean 0 and variance 1 over the training counts
    (`U{min_repeats..max_repeats}`), as in
    [Graves et al. 2014](https://arxiv.org/abs/1410.5401), section 4.2.
    Every step from the first copy to the end marker is scored, the end
    marker channel included (it must stay 0 until the end).

    `L` is drawn uniformly from `[min_length, min(difficulty, max_length)]`
    and `R` from `[min_repeats, min(difficulty, max_repeats)]` for each
    sequence: the difficulty bounds both, and is `max(max_length,
    max_repeats)` unless a curriculum lowers it.

    One example with `L = 2`, `R = 2` and 3 bits (channel 3 is the
    delimiter, channel 4 the count; target channel 3 is the end marker):

    ```
    time      01234567
    input   0 .#......
    input   1 ##......
    input   2 #.......
    input   3 ..#.....
    input   4 ..2.....
    target  0 ---.#.#.
    target  1 ---####.
    target  2 ---#.#..
    target  3 ---....#
    mask      00011111
    ```

    A sequence takes `T = (R + 1) * L + 2` steps; batches are padded with
    zeros to the longest, and padded steps have mask 0. `render` draws the
    count channel as the count itself (`+` from 10 on).

    Args:
        num_bits: int. Bits per vector. Defaults to `8`.
        min_length: int. Shortest training sequence. Defaults to `1`.
        max_length: int. Longest training sequence. Defaults to `10`.
        min_repeats: int. Fewest training repeats. Defaults to `1`.
        max_repeats: int. Most training repeats. Defaults to `10`.
        generalisation_lengths: tuple of int. Lengths of the held-out
            generalisation splits. Defaults to `(20,)`.
        generalisation_repeats: tuple of int. Repeat counts of the held-out
            generalisation splits. Defaults to `(20,)`.
        seed: int. Defaults to `0`.
        eval_size: int. Sequences per held-out split. Defaults to `1024`.

    Splits: `train` (endless), `validation` (sizes up to the current
    difficulty), `test` (sizes up to the maxima), and
    `length_<L>_repeats_<R>` of exactly that size: first each
    generalisation length with `max_repeats`, then `max_length` with each
    generalisation count, then every generalisation length with every
    generalisation count. The defaults give the paper's three:
    `length_20_repeats_10`, `length_10_repeats_20`, `length_20_repeats_20`.

    Example:

    >>> task = RepeatCopy(max_length=5, max_repeats=3)
    >>> task.spec.input_dim, task.spec.output_dim
    (10, 9)
    """

    difficulty_name = "max_length_and_repeats"

    def __init__(
        self,
        *,
        num_bits: int = 8,
        min_length: int = 1,
        max_length: int = 10,
        min_repeats: int = 1,
        max_repeats: int = 10,
        generalisation_lengths: tuple[int, ...] = (20,),
        generalisation_repeats: tuple[int, ...] = (20,),
        seed: int = 0,
        eval_size: int = 1024,
    ):
        super().__init__(seed=seed, eval_size=eval_size)
        self.num_bits = validation.check_positive_int("num_bits", num_bits)
        self.min_length = validation.check_positive_int(
            "min_length", min_length
        )
        self.max_length = validation.check_positive_int(
            "max_length", max_length
        )
        self.min_repeats = validation.check_positive_int(
            "min_repeats", min_repeats
        )
        self.max_repeats = validation.check_positive_int(
            "max_repeats", max_repeats
        )
        for low, high in (
            ("min_length", "max_length"),
            ("min_repeats", "max_repeats"),
        ):
            if getattr(self, low) > getattr(self, high):
                raise ValueError(
                    f"Invalid `{low}`: received {getattr(self, low)}, which "
                    f"is greater than `{high}` ({getattr(self, high)}); "
                    f"expected {low} <= {high}."
                )
        self.generalisation_lengths = tuple(
            validation.check_positive_int("generalisation_lengths", length)
            for length in generalisation_lengths
        )
        self.generalisation_repeats = tuple(
            validation.check_positive_int("generalisation_repeats", repeats)
            for repeats in generalisation_repeats
        )
        self.spec = TaskSpec(
            modality="bits", input_dim=num_bits + 2, output_dim=num_bits + 1
        )
        sizes = (
            [
                (length, self.max_repeats)
                for length in self.generalisation_lengths
            ]
            + [(self.max_length, r) for r in self.generalisation_repeats]
            + [
                (length, repeats)
                for length in self.generalisation_lengths
                for repeats in self.generalisation_repeats
            ]
        )
        self.generalisation_splits = tuple(
            dict.fromkeys(f"length_{n}_repeats_{r}" for n, r in sizes)
        )
        # Mean and standard deviation of R ~ U{min_repeats..max_repeats}.
        count = self.max_repeats - self.min_repeats + 1
        self.repeats_mean = (self.min_repeats + self.max_repeats) / 2
        self.repeats_scale = math.sqrt((count**2 - 1) / 12) or 1.0
        self._init_difficulty(
            max(self.min_length, self.min_repeats),
            max(self.max_length, self.max_repeats),
        )

    def normalised_repeats(
        self, repeats: float | tf.Tensor
    ) -> float | tf.Tensor:
        """Returns the count channel's value for `repeats` copies."""
        return (repeats - self.repeats_mean) / self.repeats_scale

    def size_range(self, split: str) -> tuple[tf.Tensor, ...]:
        """Returns the bounds of `L` and `R` in `split`, as scalar tensors.

        Returns:
            `(min_length, max_length, min_repeats, max_repeats)`.
        """
        if split in ("train", "validation", "test"):
            level = (
                self._difficulty.read_value()
                if split != "test"
                else tf.constant(self.difficulty_range[1])
            )
            return (
                tf.constant(self.min_length),
                tf.minimum(level, self.max_length),
                tf.constant(self.min_repeats),
                tf.minimum(level, self.max_repeats),
            )
        _, length, _, repeats = split.split("_")
        length, repeats = tf.constant(int(length)), tf.constant(int(repeats))
        return length, length, repeats, repeats

    def make_batch(
        self, split: str, batch_size: tf.Tensor, seed: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        size_seed, choice_seed, full_seed, bits_seed = tf.unstack(
            tf.random.experimental.stateless_split(seed, 4)
        )
        min_length, max_length, min_repeats, max_repeats = self.size_range(
            split
        )

        def draw_sizes(sizes_seed, longest, most):
            length_seed, repeats_seed = tf.unstack(
                tf.random.experimental.stateless_split(sizes_seed, 2)
            )
            lengths = uniform_integers(
                [batch_size], length_seed, min_length, longest
            )
            repeats = uniform_integers(
                [batch_size], repeats_seed, min_repeats, most
            )
            return tf.stack([lengths, repeats], axis=1)  # (B, 2)

        sizes = self.mix_full_range(
            split,
            choice_seed,
            draw_sizes(size_seed, max_length, max_repeats),
            lambda: draw_sizes(full_seed, self.max_length, self.max_repeats),
        )
        length = sizes[:, :1]  # (B, 1)
        repeats = sizes[:, 1:]  # (B, 1)
        end = (repeats + 1) * length + 1  # (B, 1): step of the end marker
        time = tf.reduce_max(end) + 1
        longest = tf.reduce_max(length)
        bits = tf.cast(
            tf.random.stateless_uniform(
                [batch_size, longest, self.num_bits], bits_seed
            )
            < 0.5,
            tf.float32,
        )  # (B, L_max, D); only the first L vectors of each row are used
        steps = tf.broadcast_to(tf.range(time)[None, :], [batch_size, time])
        reading = tf.cast(steps < length, tf.float32)  # (B, T)
        delimiter = tf.cast(steps == length, tf.float32)  # (B, T)
        copying = tf.cast((steps > length) & (steps < end), tf.float32)
        mask = tf.cast((steps > length) & (steps <= end), tf.float32)
        count = delimiter * tf.cast(
            self.normalised_repeats(tf.cast(repeats, tf.float64)), tf.float32
        )  # (B, T)
        read_bits = tf.gather(
            bits, tf.minimum(steps, longest - 1), batch_dims=1
        )  # (B, T, D)
        inputs = tf.concat(
            [
                read_bits * reading[:, :, None],
                delimiter[:, :, None],
                count[:, :, None],
            ],
            axis=-1,
        )  # (B, T, D + 2)
        # Copy step t writes input vector (t - L - 1) mod L.
        source = tf.math.floormod(steps - length - 1, length)  # (B, T)
        copies = tf.gather(bits, source, batch_dims=1)  # (B, T, D)
        end_marker = tf.cast(steps == end, tf.float32)  # (B, T)
        targets = tf.concat(
            [copies * copying[:, :, None], end_marker[:, :, None]], axis=-1
        )  # (B, T, D + 1)
        return inputs, targets, mask

    def input_row(self, channel: int, inputs: np.ndarray) -> str:
        if channel != self.num_bits + 1:
            return super().input_row(channel, inputs)
        # The count channel: the repeat count where the delimiter is.
        row = []
        for delimiter, value in zip(
            inputs[:, self.num_bits], inputs[:, channel]
        ):
            if delimiter <= 0.5:
                row.append(".")
                continue
            repeats = int(
                np.rint(value * self.repeats_scale + self.repeats_mean)
            )
            row.append(str(repeats) if repeats < 10 else "+")
        return "".join(row)
