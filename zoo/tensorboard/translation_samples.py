"""Writes translations and their BLEU to TensorBoard each epoch."""

import tensorflow as tf

from zoo.inference import translation
from zoo.tensorboard.writer import InspectionLogger

NUM_BLEU_PAIRS = 256
NUM_SHOWN = 5


class TranslationSampleLogger(InspectionLogger):
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

    def on_epoch_end(self, epoch, logs=None):
        score, rows = translation.evaluate_bleu(
            self.model, self.task, "validation", limit=NUM_BLEU_PAIRS
        )
        if logs is not None:
            logs["val_bleu"] = score
        table = ["| English | reference | model |", "|---|---|---|"]
        for row in rows[:NUM_SHOWN]:
            table.append(
                f"| {row['english']} | {row['reference']} | "
                f"{row['translation']} |"
            )
        with self.writer(epoch):
            tf.summary.text("samples/translations", "\n".join(table))
