"""Padding batches in time to a few fixed lengths, for XLA.

XLA compiles a training step once per distinct input shape. Tasks pad each
batch to its longest sequence, so lengths 1-20 of the copy task give up to
20 shapes and 20 compilations. Rounding the time axis up to a multiple of a
bucket size leaves a handful. The extra steps come after every sequence and
carry mask 0, so they change nothing a causal model is scored on.
"""

import tensorflow as tf

from ntm_keras import validation


def pad_time(batch, multiple):
    """Pads `(inputs, targets, mask)` in time to a multiple of `multiple`.

    Args:
        batch: `(inputs, targets, mask)` with time on axis 1; inputs may be
            `(batch_size, time)` token ids or `(batch_size, time, features)`.
        multiple: int.

    Returns:
        The padded `(inputs, targets, mask)`, zeros appended.
    """
    time = tf.shape(batch[2])[1]
    padded_time = (time + multiple - 1) // multiple * multiple

    def pad(tensor):
        paddings = [[0, 0], [0, padded_time - time]] + [
            [0, 0] for _ in range(len(tensor.shape) - 2)
        ]
        return tf.pad(tensor, paddings)

    return tuple(pad(tensor) for tensor in batch)


def bucket_by_time(dataset, multiple):
    """Maps `pad_time` over a dataset of `(inputs, targets, mask)` batches.

    Example:

    >>> import tasks
    >>> task = tasks.get("copy", max_length=5)
    >>> batches = bucket_by_time(task.dataset("validation", 4), 8)
    >>> next(iter(batches))[0].shape[1] % 8
    0
    """
    validation.check_positive_int("multiple", multiple)
    return dataset.map(lambda *batch: pad_time(batch, multiple))
