"""Trains every `_tiny` model on one device and mirrored over two.

Run by `distribution_test.py` in a subprocess, because the two logical CPU
devices must be configured before TensorFlow starts, which would change the
rest of the suite. Prints one JSON line per model:
`{"name", "single", "mirrored", "weights"}`: the per-step losses of each
run and the largest difference of the final weights relative to their
scale.

Usage: python mirrored_worker.py [NAME ...]   (default: every `_tiny`)
"""

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

(_CPU,) = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _CPU, [tf.config.LogicalDeviceConfiguration()] * 2
)

import keras  # noqa: E402
import numpy  # noqa: E402

import tasks  # noqa: E402
import zoo  # noqa: E402
from zoo.training import distribution  # noqa: E402

STEPS = 3
BATCH_SIZE = 4


class StepLosses(keras.callbacks.Callback):
    """Records the loss after every training step."""

    def on_train_begin(self, logs=None):
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(float(logs["loss"]))


def train(name, strategy):
    """Per-step losses and final weights of `name` under `strategy`."""
    task = tasks.get("copy", max_length=2, eval_size=4)
    overrides = {}
    if "dropout" in zoo.describe(name).defaults:
        overrides["dropout"] = 0.0  # replicas draw different masks
    keras.utils.set_random_seed(0)
    with strategy.scope():
        # As a user would: `zoo.get` under the scope, the family's XLA
        # default included.
        model = zoo.get(name, task=task, **overrides)
    losses = StepLosses()
    model.fit(
        task.dataset("train", BATCH_SIZE).take(STEPS),
        epochs=1,
        callbacks=[losses],
        verbose=0,
    )
    weights = [keras.ops.convert_to_numpy(w) for w in model.weights]
    return losses.losses, weights


def main(names):
    mirrored = distribution.make_strategy(
        "mirrored", devices=["/cpu:0", "/cpu:1"]
    )
    single = distribution.make_strategy("default")
    for name in names:
        single_losses, single_weights = train(name, single)
        mirrored_losses, mirrored_weights = train(name, mirrored)
        difference = max(
            float(numpy.max(numpy.abs(a - b)) / (numpy.max(numpy.abs(a)) + 1))
            for a, b in zip(single_weights, mirrored_weights)
        )
        print(
            json.dumps(
                {
                    "name": name,
                    "single": single_losses,
                    "mirrored": mirrored_losses,
                    "weights": difference,
                    "replicas": mirrored.num_replicas_in_sync,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:] or zoo.list("*_tiny"))
