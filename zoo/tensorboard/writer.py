"""Base of the callbacks that write text and images to TensorBoard."""

import contextlib
import io
import pathlib

import keras
import tensorflow as tf


def figure_to_png(figure, dpi=80):
    """Returns the PNG bytes of a `matplotlib.figure.Figure`."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


class InspectionLogger(keras.callbacks.Callback):
    """Holds one summary writer for `log_dir`, opened on first use.

    Subclasses write inside `with self.writer(epoch):`, figures with
    `write_figure`; the writer is flushed after each use and closed when
    training ends.

    Args:
        log_dir: path. Where the event file goes.
        task: optional task whose examples are inspected.
    """

    def __init__(self, log_dir, task=None):
        super().__init__()
        self.log_dir = pathlib.Path(log_dir)
        self.task = task
        self._writer = None

    @contextlib.contextmanager
    def writer(self, step):
        """A context in which `tf.summary` calls write at `step`."""
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.log_dir))
        with self._writer.as_default(step=step):
            yield
        self._writer.flush()

    def write_figure(self, tag, figure):
        """Writes a matplotlib figure as an image, inside `writer(step)`."""
        image = tf.image.decode_png(figure_to_png(figure), channels=4)[None]
        tf.summary.image(tag, image)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
