"""Writes generated text to TensorBoard each epoch."""

import tensorflow as tf

from zoo.inference import generation
from zoo.tensorboard.writer import InspectionLogger

PROMPT_LENGTH = 32
# Short enough to cost little: each character is one pass over the context.
SAMPLE_LENGTH = 200


class TextSampleLogger(InspectionLogger):
    """Logs a text sample of a language model at the end of epochs.

    At the end of the epochs its schedule chooses (every epoch without one),
    the model continues the first `PROMPT_LENGTH` characters of the
    validation text by `SAMPLE_LENGTH` characters, sampled with a fixed
    seed at temperature 0.8 so that epochs can be compared, and the result is
    written under the tag `samples/text` in `log_dir`.

    Args:
        log_dir: path. Where the event file goes.
        task: a language-modelling task (`encode`, `decode`, `texts`).
        schedule: optional `InspectionSchedule`.
    """

    _compiled = None

    def sample(self):
        """Returns the prompt and its continuation."""
        prompt = self.task.texts["validation"][:PROMPT_LENGTH]
        if self._compiled is None or self._compiled[0] is not self.model:
            sampler = generation.make_sampler(temperature=0.8, seed=0)
            function = generation.sampling_function(
                self.model, self.task.context_length, len(prompt), sampler
            )
            # The function is traced once per run; its sampler's seed state
            # is reset before each sample so that epochs draw alike.
            initial = sampler.seed_generator.state.numpy()
            self._compiled = (self.model, sampler, function, initial)
        _, sampler, function, initial = self._compiled
        sampler.seed_generator.state.assign(initial)
        return generation.generate(
            self.model,
            self.task,
            prompt,
            SAMPLE_LENGTH,
            sampler,
            function=function,
        )

    def inspect(self, epoch, logs=None):
        text = self.sample()
        with self.writer(epoch):
            # Markdown: indent by four spaces to keep the line breaks.
            block = "\n".join("    " + line for line in text.splitlines())
            tf.summary.text("samples/text", block)
