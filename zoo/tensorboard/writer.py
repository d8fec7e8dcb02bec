"""Base of the callbacks that write text and images to TensorBoard."""

import contextlib
import io
import pathlib
import time

import keras
import tensorflow as tf


def figure_to_png(figure, dpi=80):
    """Returns the PNG bytes of a `matplotlib.figure.Figure`."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


# The share of the training time the inspection loggers may take by default.
INSPECTION_BUDGET = 0.05


class InspectionSchedule:
    """Decides at which epochs the inspection loggers run.

    With `every`, at epochs `every - 1`, `2 * every - 1`, ... Without, a
    logger runs when the time all loggers have spent, plus what it cost
    last time, stays within `budget` of the training time so far (the
    time since training began, less the loggers' own), so the extras cost
    at most `budget` of a run, beyond their first run (at the first epoch,
    whose cost is not known in advance). Either way they also run at the
    last epoch, to show the final model. The loggers of one run share one
    schedule.

    Args:
        every: optional int >= 1. Run every this many epochs.
        budget: float. The share of the training time the loggers may take
            when `every` is None. Defaults to `INSPECTION_BUDGET` (0.05).
        clock: function returning seconds; `time.perf_counter` by default.

    Example:

    >>> schedule = InspectionSchedule(every=2)
    >>> [schedule.due("text", epoch) for epoch in range(4)]
    [False, True, False, True]
    """

    def __init__(self, every=None, budget=INSPECTION_BUDGET, clock=None):
        self.every = every
        self.budget = budget
        self.clock = clock or time.perf_counter
        self.started = None
        self.spent = 0.0
        self.last_cost = {}

    def start(self):
        """Marks the start of training (the first call counts)."""
        if self.started is None:
            self.started = self.clock()

    def due(self, key, epoch, last=False):
        """Whether logger `key` runs at the end of `epoch` (0-based).

        `last`: whether `epoch` is the run's last.
        """
        if last:
            return True
        if self.every is not None:
            return (epoch + 1) % self.every == 0
        self.start()
        training = self.clock() - self.started - self.spent
        expected = self.last_cost.get(key, 0.0)
        return self.spent + expected <= self.budget * training

    def record(self, key, seconds):
        """Adds the `seconds` logger `key` just took."""
        self.spent += seconds
        self.last_cost[key] = seconds


class InspectionLogger(keras.callbacks.Callback):
    """Holds one summary writer for `log_dir`, opened on first use.

    Subclasses write inside `with self.writer(epoch):`, figures with
    `write_figure`; the writer is flushed after each use and closed when
    training ends. Subclasses that implement `inspect(epoch, logs)` run at the
    epochs their `schedule` chooses (every epoch without one); others
    override `on_epoch_end` themselves.

    Args:
        log_dir: path. Where the event file goes.
        task: optional task whose examples are inspected.
        schedule: optional `InspectionSchedule` shared by a run's loggers.
    """

    def __init__(self, log_dir, task=None, schedule=None):
        super().__init__()
        self.log_dir = pathlib.Path(log_dir)
        self.task = task
        self.schedule = schedule
        self._writer = None

    def inspect(self, epoch, logs=None):
        """Writes this logger's inspection of the model after `epoch`.

        `logs`: the epoch's logs, for a logger that adds scalars to them.
        """
        raise NotImplementedError

    def on_train_begin(self, logs=None):
        if self.schedule is not None:
            self.schedule.start()

    def on_epoch_end(self, epoch, logs=None):
        key = type(self).__name__
        last = epoch == (self.params or {}).get("epochs", 0) - 1
        if self.schedule is None:
            self.inspect(epoch, logs)
        elif self.schedule.due(key, epoch, last=last):
            start = self.schedule.clock()
            self.inspect(epoch, logs)
            self.schedule.record(key, self.schedule.clock() - start)

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
