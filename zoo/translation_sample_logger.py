"""Writes translations and their BLEU to TensorBoard each epoch."""

import pathlib

import keras
import tensorflow as tf

from zoo import translation

NUM_BLEU_PAIRS = 256
NUM_SHOWN = 5


class TranslationSampleLogger(keras.callbacks.Callback):
    """Adds `val_bleu` to the logs and writes example translations.

    At the end of each epoch the model translates the first
    `NUM_BLEU_PAIRS` validation sentences greedily; their corpus BLEU goes
    into the logs as `val_bleu` (TensorBoard then plots it with the other
    validation scalars, as `epoch_bleu`), and the first `NUM_SHOWN`
    translations are written as a table under `samples/translations` in
    `log_dir`.

    Args:
        log_dir: path. Where the text event file goes.
        task: a sequence-to-sequence task (`spa_eng`).
    """

    def __init__(self, log_dir, task):
        super().__init__()
        self.log_dir = pathlib.Path(log_dir)
        self.task = task
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        score, rows = translation.evaluate_bleu(
            self.model, self.task, "validation", limit=NUM_BLEU_PAIRS
        )
        if logs is not None:
            logs["val_bleu"] = score
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.log_dir))
        table = ["| English | reference | model |", "|---|---|---|"]
        for row in rows[:NUM_SHOWN]:
            table.append(
                f"| {row['english']} | {row['reference']} | "
                f"{row['translation']} |"
            )
        with self._writer.as_default(step=epoch):
            tf.summary.text("samples/translations", "\n".join(table))
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
