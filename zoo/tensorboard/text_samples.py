"""Writes generated text to TensorBoard each epoch."""

import tensorflow as tf

from zoo.inference import generation
from zoo.tensorboard.writer import InspectionLogger

PROMPT_LENGTH = 32
SAMPLE_LENGTH = 300


class TextSampleLogger(InspectionLogger):
    """Logs a text sample of a language model at the end of each epoch.

    The model continues the first `PROMPT_LENGTH` characters of the
    validation text by `SAMPLE_LENGTH` characters, sampled with a fixed
    seed at temperature 0.8 so that epochs can be compared, and the result is
    written under the tag `samples/text` in `log_dir`.

    Args:
        log_dir: path. Where the event file goes.
        task: a language-modelling task (`encode`, `decode`, `texts`).
    """

    def sample(self):
        """Returns the prompt and its continuation."""
        prompt = self.task.texts["validation"][:PROMPT_LENGTH]
        sampler = generation.make_sampler(temperature=0.8, seed=0)
        return generation.generate(
            self.model, self.task, prompt, SAMPLE_LENGTH, sampler
        )

    def on_epoch_end(self, epoch, logs=None):
        text = self.sample()
        with self.writer(epoch):
            # Markdown: indent by four spaces to keep the line breaks.
            block = "\n".join("    " + line for line in text.splitlines())
            tf.summary.text("samples/text", block)
