"""Base of the callbacks that write text and images to TensorBoard."""

import contextlib
import pathlib

import keras
import tensorflow as tf


class InspectionLogger(keras.callbacks.Callback):
    """Holds one summary writer for `log_dir`, opened on first use.

    Subclasses write inside `with self.writer(epoch):`; the writer is
    flushed after each use and closed when training ends.

    Args:
        log_dir: path. Where the event file goes.
        task: the task whose examples are inspected.
    """

    def __init__(self, log_dir, task):
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

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
