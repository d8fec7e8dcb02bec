"""Writes generated text to TensorBoard each epoch."""

import pathlib

import keras
import tensorflow as tf

from zoo import generation

PROMPT_LENGTH = 32
SAMPLE_LENGTH = 300


class TextSampleLogger(keras.callbacks.Callback):
    """Logs a text sample of a language model at the end of each epoch.

    The model continues the first `PROMPT_LENGTH` characters of the
    validation text by `SAMPLE_LENGTH` characters, sampled with a fixed
    seed at temperature 0.8 so that epochs can be compared, and the result is
    written under the tag `samples/text` in `log_dir`.

    Args:
        log_dir: path. Where the event file goes.
        task: a language-modelling task (`encode`, `decode`, `texts`).
    """

    def __init__(self, log_dir, task):
        super().__init__()
        self.log_dir = pathlib.Path(log_dir)
        self.task = task
        self._writer = None

    def sample(self):
        """Returns the prompt and its continuation."""
        prompt = self.task.texts["validation"][:PROMPT_LENGTH]
        sampler = generation.make_sampler(temperature=0.8, seed=0)
        return generation.generate(
            self.model, self.task, prompt, SAMPLE_LENGTH, sampler
        )

    def on_epoch_end(self, epoch, logs=None):
        text = self.sample()
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.log_dir))
        with self._writer.as_default(step=epoch):
            # Markdown: indent by four spaces to keep the line breaks.
            block = "\n".join("    " + line for line in text.splitlines())
            tf.summary.text("samples/text", block)
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
