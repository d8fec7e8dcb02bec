"""The priority sort task of the NTM paper.

Legend: B = batch size, T = time steps, N = number of inputs, K = number of
outputs, D = bits.
"""

import numpy as np
import tensorflow as tf

from ntm_keras import validation
from tasks.algorithmic.bit_task import BitTask
from tasks.registry import register
from tasks.task import TaskSpec, uniform_integers


@register("priority_sort")
class PrioritySort(BitTask):
    """Priority sort: read vectors with priorities, write the top ones in order.

    The input shows `N` random `num_bits`-bit vectors, each with a priority
    drawn uniformly from [-1, 1) on its own channel, then a delimiter on a
    third channel; then nothing while the model must write the `K` vectors
    of highest priority, highest first. Only those `K` steps are scored. The
    model must store each vector where its priority says and read them back
    in order. See [Graves et al. 2014](https://arxiv.org/abs/1410.5401),
    section 4.5 (20 inputs, the 16 highest as output).

    `N` is drawn uniformly from `[min_inputs, difficulty]` for each
    sequence; the difficulty is `num_inputs` unless a curriculum lowers it.
    A sequence of `N` inputs asks for `K = ceil(N * num_outputs /
    num_inputs)` outputs, so the share of vectors kept stays that of the
    paper (16 of 20) at every size. `min_inputs` and `num_inputs` both
    default to 20, the paper's fixed size: give a smaller `min_inputs` to
    train on a range of sizes (and to give a curriculum room).

    One example with `N = 4` inputs of 3 bits and `K = 3` (channel 3 is the
    priority, drawn by `render` as a digit from 0 for -1 to 9 for 1;
    channel 4 is the delimiter):

    ```
    time      01234567
    input   0 .#......
    input   1 #.##....
    input   2 ###.....
    input   3 7413....
    input   4 ....#...
    target  0 -----.#.
    target  1 -----#.#
    target  2 -----##.
    mask      00000111
    ```

    Here the priorities rank the inputs 0, 1, 3, 2, so the answer is inputs
    0, 1 and 3. A sequence takes `T = N + 1 + K` steps; batches are padded
    with zeros to the longest, and padded steps have mask 0.

    Args:
        num_bits: int. Bits per vector. Defaults to `8`.
        num_inputs: int. Most vectors per training sequence. Defaults to
            `20`.
        num_outputs: int. Vectors to write back for `num_inputs` inputs, at
            most `num_inputs`. Defaults to `16`.
        min_inputs: int. Fewest vectors per training sequence, at most
            `num_inputs`. Defaults to `20`.
        generalisation_inputs: tuple of int. Each gives a held-out split
            `inputs_<N>` of exactly `N` vectors. Defaults to `(30, 40)`.
        seed: int. Defaults to `0`.
        eval_size: int. Sequences per held-out split. Defaults to `1024`.

    Splits: `train` (endless), `validation` (up to the current difficulty),
    `test` (up to `num_inputs`), `inputs_<N>`.

    Example:

    >>> task = PrioritySort()
    >>> task.spec.input_dim, task.spec.output_dim
    (10, 8)
    """

    difficulty_name = "max_inputs"

    def __init__(
        self,
        *,
        num_bits: int = 8,
        num_inputs: int = 20,
        num_outputs: int = 16,
        min_inputs: int = 20,
        generalisation_inputs: tuple[int, ...] = (30, 40),
        seed: int = 0,
        eval_size: int = 1024,
    ):
        super().__init__(seed=seed, eval_size=eval_size)
        self.num_bits = validation.check_positive_int("num_bits", num_bits)
        self.num_inputs = validation.check_positive_int(
            "num_inputs", num_inputs
        )
        self.num_outputs = validation.check_int(
            "num_outputs", num_outputs, minimum=1, maximum=num_inputs
        )
        self.min_inputs = validation.check_int(
            "min_inputs", min_inputs, minimum=1, maximum=num_inputs
        )
        self.set_generalisation_sizes(
            "generalisation_inputs", generalisation_inputs, "inputs"
        )
        self.spec = TaskSpec(
            modality="bits", input_dim=num_bits + 2, output_dim=num_bits
        )
        self._init_difficulty(self.min_inputs, self.num_inputs)

    def num_sorted(self, num_inputs: int | tf.Tensor) -> int | tf.Tensor:
        """Returns `K`, the outputs asked of `num_inputs` inputs.

        Args:
            num_inputs: int or int tensor.

        Returns:
            `ceil(num_inputs * num_outputs / num_inputs_option)`, same type.
        """
        return (
            num_inputs * self.num_outputs + self.num_inputs - 1
        ) // self.num_inputs

    def inputs_range(self, split: str) -> tuple[tf.Tensor, tf.Tensor]:
        """Returns the `(fewest, most)` inputs of `split`, as tensors."""
        return self.split_size_range(
            split, self.min_inputs, self.num_inputs, "inputs"
        )

    def make_batch(
        self, split: str, batch_size: tf.Tensor, seed: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        count_seed, choice_seed, full_seed, priority_seed, bits_seed = (
            tf.unstack(tf.random.experimental.stateless_split(seed, 5))
        )
        fewest, most = self.inputs_range(split)
        counts = self.mix_full_range(
            split,
            choice_seed,
            uniform_integers([batch_size], count_seed, fewest, most),
            lambda: uniform_integers(
                [batch_size], full_seed, self.min_inputs, self.num_inputs
            ),
        )  # (B,)
        sorted_counts = self.num_sorted(counts)  # (B,)
        num_vectors = tf.reduce_max(counts)
        time = tf.reduce_max(counts + 1 + sorted_counts)
        bits = tf.cast(
            tf.random.stateless_uniform(
                [batch_size, num_vectors, self.num_bits], bits_seed
            )
            < 0.5,
            tf.float32,
        )  # (B, N_max, D)
        priorities = tf.random.stateless_uniform(
            [batch_size, num_vectors], priority_seed, minval=-1.0, maxval=1.0
        )  # (B, N_max)
        present = tf.range(num_vectors)[None, :] < counts[:, None]
        # Highest priority first; absent vectors (-inf) sort last.
        order = tf.argsort(
            tf.where(present, priorities, -np.inf),
            direction="DESCENDING",
            stable=True,
        )  # (B, N_max)

        count = counts[:, None]  # (B, 1)
        steps = tf.broadcast_to(tf.range(time)[None, :], [batch_size, time])
        last = num_vectors - 1
        reading = tf.cast(steps < count, tf.float32)  # (B, T)
        read_index = tf.minimum(steps, last)  # (B, T)
        inputs = tf.concat(
            [
                tf.gather(bits, read_index, batch_dims=1) * reading[:, :, None],
                (tf.gather(priorities, read_index, batch_dims=1) * reading)[
                    :, :, None
                ],
                tf.cast(steps == count, tf.float32)[:, :, None],
            ],
            axis=-1,
        )  # (B, T, D + 2)
        rank = steps - count - 1  # (B, T): output step t writes rank t - N - 1
        writing = (rank >= 0) & (rank < sorted_counts[:, None])
        mask = tf.cast(writing, tf.float32)  # (B, T)
        source = tf.gather(
            order, tf.clip_by_value(rank, 0, last), batch_dims=1
        )  # (B, T)
        targets = (
            tf.gather(bits, source, batch_dims=1) * mask[:, :, None]
        )  # (B, T, D)
        return inputs, targets, mask

    def input_row(self, channel: int, inputs: np.ndarray) -> str:
        if channel != self.num_bits:
            return super().input_row(channel, inputs)
        # The priority channel: a digit from 0 (-1) to 9 (+1) per vector,
        # for the steps before the delimiter.
        num_vectors = int(np.argmax(inputs[:, self.num_bits + 1] > 0.5))
        return "".join(
            str(min(9, int((value + 1.0) * 5.0))) if step < num_vectors else "."
            for step, value in enumerate(inputs[:, channel])
        )
