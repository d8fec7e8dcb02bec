"""One worker of the multi-worker test (`distribution_test.py` starts two).

Usage: python multiworker_worker.py LOG_DIR WEIGHTS_FILE, with `TF_CONFIG`
set. Trains `ntm_tiny` on copy for a few steps with
`strategy="multiworker"` and saves the final weights to WEIGHTS_FILE.
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy  # noqa: E402

from zoo import training  # noqa: E402


class SaveWeights(keras.callbacks.Callback):
    """Saves the weights at the end of training, as one `.npz` file."""

    def __init__(self, path):
        super().__init__()
        self.path = path

    def on_train_end(self, logs=None):
        weights = [keras.ops.convert_to_numpy(w) for w in self.model.weights]
        numpy.savez(self.path, *weights)


def main(log_dir, weights_file):
    training.train(
        "ntm_tiny",
        "copy",
        overrides={"max_length": 2, "eval_size": 4},
        log_dir=log_dir,
        strategy="multiworker",
        epochs=1,
        steps_per_epoch=2,
        batch_size=4,
        validation_steps=1,
        inspect_every=0,
        verbose=0,
        callbacks=[SaveWeights(weights_file)],
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
