"""The interface every task implements, and its input/output specification.

Legend: B = batch size, T = time steps.
"""

import dataclasses
import math
from collections.abc import Callable

import tensorflow as tf

from ntm_keras import validation
from ntm_keras.modalities import MODALITIES, STRUCTURES  # noqa: F401

# Held-out splits are generated in chunks of this many sequences, keyed by the
# chunk's index, so the same sequences come out whatever the batch size.
EVAL_CHUNK_SIZE = 32


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """What a model must take in and give out to solve a task.

    Attributes:
        modality: `"bits"` (inputs are `(batch_size, time, input_dim)`
            floats, outputs are `(batch_size, time, output_dim)`
            probabilities) or `"tokens"` (inputs are `(batch_size, time)`
            token ids below `input_dim`, outputs are logits over
            `output_dim` tokens).
        input_dim: int. Features per step, or the input vocabulary size.
        output_dim: int. Bits per step, or the output vocabulary size.
        structure: `"sequence"` (one input sequence, one output per input
            step; the default) or `"sequence_to_sequence"` (inputs are a
            dict of `encoder_inputs` `(batch_size, source_time)` and
            `decoder_inputs` `(batch_size, time)`, the target shifted right
            behind a start token; one output per target step).
    """

    modality: str
    input_dim: int
    output_dim: int
    structure: str = "sequence"

    def model_overrides(self, accepted=None):
        """Returns the model arguments that size a model to this task.

        Args:
            accepted: optional collection of the model's argument names.
                Fields the model does not take are left out where they hold
                their default: a model without a `structure` argument is a
                `"sequence"` model.

        Returns:
            dict from argument name to value.
        """
        sizes = dataclasses.asdict(self)
        if accepted is None:
            return sizes
        defaults = {
            field.name: field.default
            for field in dataclasses.fields(self)
            if field.default is not dataclasses.MISSING
        }
        return {
            key: value
            for key, value in sizes.items()
            if key in accepted or key not in defaults or value != defaults[key]
        }


class Task:
    """A supervised sequence task that makes its own `tf.data` pipelines.

    Subclasses set `spec`, `generalisation_splits` and the difficulty range,
    and implement `make_batch`. The difficulty (e.g. the copy task's current
    maximum length) lives in a `tf.Variable` that the pipelines read each time
    they make a batch, so a curriculum callback can raise it during `fit`
    without rebuilding anything. A second variable, the mix probability, lets
    a curriculum draw part of each train batch from the task's whole range
    (see `mix_full_range`); it is 0 unless a curriculum sets it.

    Args:
        seed: int. Seed of every split; the same seed gives the same batches.
        eval_size: int. Number of sequences in each held-out split.
    """

    name = None  # set by `tasks.register`
    difficulty_name = "difficulty"

    def __init__(self, *, seed=0, eval_size=1024):
        self.seed = validation.check_int("seed", seed, minimum=0)
        self.eval_size = validation.check_positive_int("eval_size", eval_size)
        self.spec = None
        self.generalisation_splits = ()
        self._init_difficulty(0, 0)  # tasks with a difficulty knob redo this
        # float64 so that the value set is the value read back (0.2 stays 0.2).
        self._mix_probability = tf.Variable(
            0.0, dtype=tf.float64, trainable=False, name="mix_probability"
        )

    # -- Options -----------------------------------------------------------

    def config(self):
        """Returns the task's options as plain values (JSON-ready)."""
        defaults = validation.keyword_defaults(type(self).__init__)
        values = {name: getattr(self, name) for name in defaults}
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in values.items()
        }

    @property
    def splits(self):
        """The split names `dataset` accepts."""
        return ("train", "validation", "test") + tuple(
            self.generalisation_splits
        )

    # -- Difficulty --------------------------------------------------------

    def _init_difficulty(self, low, high):
        self.difficulty_range = (low, high)
        self._difficulty = tf.Variable(
            high, dtype=tf.int32, trainable=False, name=self.difficulty_name
        )

    @property
    def difficulty(self):
        """The current difficulty, an int within `difficulty_range`."""
        return int(self._difficulty.numpy())

    def set_difficulty(self, value):
        """Sets the difficulty that `train` and `validation` batches use."""
        low, high = self.difficulty_range
        validation.check_int(
            self.difficulty_name, value, minimum=low, maximum=high
        )
        self._difficulty.assign(int(value))

    @property
    def mix_probability(self) -> float:
        """The chance that a train sequence ignores the current difficulty."""
        return float(self._mix_probability.numpy())

    def set_mix_probability(self, value: float) -> None:
        """Sets the share of train sequences drawn from the whole range.

        With probability `value`, each `train` sequence draws its size from
        the task's whole difficulty range (as with no curriculum) instead of
        up to the current difficulty. `validation` and the other splits never
        mix, so they keep measuring the current level and the full task.

        Args:
            value: float in [0, 1].
        """
        value = validation.check_float(
            "mix_probability", value, minimum=0.0, maximum=1.0
        )
        self._mix_probability.assign(value)

    def mix_full_range(
        self,
        split: str,
        seed: tf.Tensor,
        current: tf.Tensor,
        draw_full: Callable[[], tf.Tensor],
    ) -> tf.Tensor:
        """Mixes draws at the current difficulty with draws over the range.

        Tasks call this in `make_batch` with the per-sequence sizes drawn up
        to the current difficulty and a function that draws the same sizes
        over the whole range. For `train`, each sequence takes its full-range
        draw with probability `mix_probability`; the other splits keep
        `current` (and never call `draw_full`). With a mix probability of 0
        the result equals `current`, so a task's batches do not change unless
        a curriculum asks for mixing.

        Args:
            split: str. The split name.
            seed: `(2,)` seed of the per-sequence choice; use one that no
                other draw of the batch uses.
            current: `(batch_size,)` or `(batch_size, k)` int tensor.
            draw_full: callable returning a tensor shaped like `current`.

        Returns:
            A tensor shaped like `current`.
        """
        if split != "train":
            return current
        shape = tf.shape(current)
        chosen = (
            tf.random.stateless_uniform(shape[:1], seed, dtype=tf.float64)
            < self._mix_probability.read_value()
        )  # (B,)
        # (B,) -> (B, 1, ...) to choose whole rows of `current`.
        chosen = tf.reshape(
            chosen, tf.concat([shape[:1], tf.ones_like(shape[1:])], axis=0)
        )
        return tf.where(chosen, draw_full(), current)

    # -- Training interface ------------------------------------------------

    def loss(self):
        """Returns a fresh Keras loss for `compile`."""
        raise NotImplementedError

    def metrics(self):
        """Returns fresh Keras metrics for `compile(weighted_metrics=...)`."""
        raise NotImplementedError

    def make_batch(self, split, batch_size, seed):
        """Makes one batch in graph mode.

        Args:
            split: str. The split name (a Python string).
            batch_size: scalar int32 tensor.
            seed: `(2,)` int32 tensor for stateless random ops.

        Returns:
            `(inputs, targets, sample_weight)` tensors.
        """
        raise NotImplementedError

    def dataset(self, split="train", batch_size=32, *, seed=None, start=0):
        """Returns a `tf.data.Dataset` of `(inputs, targets, sample_weight)`.

        `train` is endless; the held-out splits hold `eval_size` sequences.
        Train batches are made on demand, not read ahead, so a difficulty
        change applies from exactly the next step and a resumed run sees the
        same batches as an uninterrupted one. Held-out splits are read ahead.

        Args:
            split: str. One of `task.splits`.
            batch_size: int. Sequences per batch.
            seed: int. Defaults to the task's seed.
            start: int. Index of the first train batch (to resume a run).

        Returns:
            A `tf.data.Dataset`.
        """
        validation.check_choice("split", split, self.splits)
        batch_size = validation.check_positive_int("batch_size", batch_size)
        seed = self.seed if seed is None else seed
        seed = validation.check_int("seed", seed, minimum=0)
        validation.check_int("start", start, minimum=0)
        split_seed = tf.random.experimental.stateless_fold_in(
            tf.constant([seed, 0], tf.int64), self.splits.index(split)
        )

        def batch_at(index, size):
            batch_seed = tf.random.experimental.stateless_fold_in(
                split_seed, index
            )
            return self.make_batch(split, size, batch_seed)

        if split == "train":
            dataset = tf.data.Dataset.counter(start).map(
                lambda index: batch_at(index, batch_size)
            )
            options = tf.data.Options()
            options.experimental_optimization.inject_prefetch = False
            options.experimental_optimization.map_parallelization = False
            return dataset.with_options(options)

        num_chunks = math.ceil(self.eval_size / EVAL_CHUNK_SIZE)
        sizes = [
            min(EVAL_CHUNK_SIZE, self.eval_size - i * EVAL_CHUNK_SIZE)
            for i in range(num_chunks)
        ]
        dataset = tf.data.Dataset.from_tensor_slices(
            (tf.range(num_chunks, dtype=tf.int64), sizes)
        ).map(batch_at, num_parallel_calls=tf.data.AUTOTUNE)
        if batch_size != EVAL_CHUNK_SIZE:
            dataset = dataset.unbatch().padded_batch(batch_size)
            # Rebatching loses the number of batches; Keras needs it to end
            # `evaluate` without warning that the data ran out.
            dataset = dataset.apply(
                tf.data.experimental.assert_cardinality(
                    math.ceil(self.eval_size / batch_size)
                )
            )
        return dataset.prefetch(tf.data.AUTOTUNE)

    def render(self, example):
        """Returns a readable text picture of one `(inputs, targets, mask)`."""
        raise NotImplementedError


def uniform_integers(
    shape, seed: tf.Tensor, low: int | tf.Tensor, high: int | tf.Tensor
) -> tf.Tensor:
    """Draws int32 values uniformly from `[low, high]`, both included.

    Args:
        shape: the output shape.
        seed: `(2,)` seed for the stateless op.
        low: scalar int, tensor or Python.
        high: scalar int >= `low`, tensor or Python.

    Returns:
        An int32 tensor of `shape`.
    """
    return tf.random.stateless_uniform(
        shape, seed, minval=low, maxval=high + 1, dtype=tf.int32
    )


def uniform_indices(seed: tf.Tensor, counts: tf.Tensor) -> tf.Tensor:
    """Draws one index uniformly from `[0, count)` for each count.

    Args:
        seed: `(2,)` seed for the stateless op.
        counts: `(batch_size,)` int32 tensor of positive counts.

    Returns:
        A `(batch_size,)` int32 tensor.
    """
    fractions = tf.random.stateless_uniform(tf.shape(counts), seed)
    indices = tf.cast(
        tf.math.floor(fractions * tf.cast(counts, tf.float32)), tf.int32
    )
    # float32 rounding may reach `count` for fractions just below 1.
    return tf.minimum(indices, counts - 1)
