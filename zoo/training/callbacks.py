"""The standard callbacks of a training run."""

import pathlib
import time

import keras

from ntm_keras import inspect
from zoo import registry
from zoo.tensorboard.attention_maps import AttentionMapLogger
from zoo.tensorboard.gradient_norm import GradientNormLogger
from zoo.tensorboard.memory_images import MemoryImages, probe_example
from zoo.tensorboard.segment_memory_images import (
    SegmentMemoryImages,
    find_segment_stack,
    probe_inputs,
)
from zoo.tensorboard.text_samples import TextSampleLogger
from zoo.tensorboard.translation_samples import TranslationSampleLogger
from zoo.tensorboard.writer import InspectionSchedule
from zoo.training import checkpointing, curriculum, run_files
from zoo.training.divergence import NonFiniteGuard

# Text samples and attention maps go to `logs/inspection`.
INSPECTION_DIR = "inspection"


class TimeBudget(keras.callbacks.Callback):
    """Stops training at the end of the last epoch that fits a time budget.

    After each epoch, training stops if one more epoch as long as the
    longest so far would end past `max_minutes` after training began (the
    first epoch, which includes tracing, counts only while it is the only
    one). The
    run ends cleanly at an epoch boundary: the checkpoint of that epoch is
    written (callbacks before and after this one all run) and the run's
    final evaluation follows.

    Args:
        max_minutes: float > 0. The budget, in minutes of wall-clock time.
        clock: function returning seconds; `time.perf_counter` by default.

    Example:

    >>> budget = TimeBudget(max_minutes=30)
    >>> budget.max_minutes
    30
    """

    def __init__(self, max_minutes, clock=None):
        super().__init__()
        self.max_minutes = max_minutes
        self.clock = clock or time.perf_counter
        self.started = None
        self.epoch_started = None
        self.epoch_seconds = []
        self.stopped_epoch = None

    def on_train_begin(self, logs=None):
        self.started = self.clock()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = self.clock()

    def on_epoch_end(self, epoch, logs=None):
        now = self.clock()
        self.epoch_seconds.append(now - self.epoch_started)
        expected = max(self.epoch_seconds[1:] or self.epoch_seconds)
        if now + expected - self.started > 60 * self.max_minutes:
            self.model.stop_training = True
            self.stopped_epoch = epoch


class RunTimer(keras.callbacks.Callback):
    """Measures where a run's time goes: training steps, and the rest.

    Per epoch, the time from the start of the epoch to the end of its last
    training batch is training (steps and the input pipeline); the time
    from then to the end of the epoch is validation and the other
    callbacks' end-of-epoch work (samples, attention maps, checkpoints,
    TensorBoard). The first epoch's training includes tracing.

    Args:
        clock: function returning seconds; `time.perf_counter` by default.

    Example:

    >>> timer = RunTimer()
    >>> timer.summary()["epochs"]
    0
    """

    def __init__(self, clock=None):
        super().__init__()
        self.clock = clock or time.perf_counter
        self.training = []
        self.after_training = []
        self._epoch_started = None
        self._last_batch = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_started = self._last_batch = self.clock()

    def on_train_batch_end(self, batch, logs=None):
        self._last_batch = self.clock()

    def on_epoch_end(self, epoch, logs=None):
        self.training.append(self._last_batch - self._epoch_started)
        self.after_training.append(self.clock() - self._last_batch)

    def summary(self):
        """Seconds of training and of the rest, in total and per epoch."""
        later = self.training[1:]
        return {
            "epochs": len(self.training),
            "training_seconds": round(sum(self.training), 2),
            "first_epoch_training_seconds": round(
                (self.training or [0.0])[0], 2
            ),
            "validation_and_callbacks_seconds": round(
                sum(self.after_training), 2
            ),
            "validation_and_callbacks_per_training": round(
                sum(self.after_training) / max(sum(self.training), 1e-9), 4
            ),
            "median_epoch_training_seconds_after_the_first": (
                round(sorted(later)[len(later) // 2], 2) if later else None
            ),
        }


def callbacks(
    run_dir,
    *,
    task=None,
    model=None,
    curriculum_name="none",
    epochs=None,
    inspect_every=None,
    max_minutes=None,
    decay=None,
):
    """Returns the callbacks that make `fit` a resumable, inspectable run.

    In order: the guard that stops at the first non-finite loss or
    gradient (`NonFiniteGuard`), the curriculum (which logs
    `curriculum_level`), the learning rate's fall (`decay`, which logs
    `learning_rate`), the gradient norm logger, for recurrent memory
    models (NTM, DNC) the memory pictures and scalars (`MemoryImages`;
    on token tasks at the epochs of their own schedule), for the memory
    Transformers
    their memory scalars and per-block pictures (`SegmentMemoryImages`, in
    `run_dir/logs/inspection`; on bit tasks with the attention maps too),
    for language tasks the inspection loggers (text samples or
    translations with their BLEU, and attention maps of zoo models, in
    `run_dir/logs/inspection`), TensorBoard
    (`run_dir/logs`) and the checkpoint (`run_dir/checkpoints`). The loggers
    come before TensorBoard so that it writes what they add to the logs.

    Args:
        run_dir: path. The run directory.
        task: optional `tasks.Task`, for the curriculum, the checkpoint and
            the inspection loggers.
        model: optional `keras.Model` from the zoo. With a memory cell (an
            NTM, a DNC), adds `MemoryImages`; for a language task,
            its registry entry says how to read its attention weights (Keras
            gives the callbacks the model itself).
        curriculum_name: str. A name from `zoo.curriculum.CURRICULA`:
            `"none"`, `"doubling"` or `"combined"`.
        epochs: optional int. The run's total, recorded in `last.json`.
        inspect_every: optional int. Text samples, attention maps, the
            memory Transformers' pictures and, on token tasks, the memory
            cells' pictures and scalars every this many epochs; 0: none;
            None: at the epochs where they cost at most 5% of the training
            time so far (`InspectionSchedule`).
        max_minutes: optional float. Adds a `TimeBudget` that ends training
            at the last epoch boundary within this many minutes.
        decay: optional callback that sets the learning rate each epoch
            (`zoo.training.decay.make_decay`).

    Returns:
        A list of `keras.callbacks.Callback`.

    Example:

    >>> import tasks, zoo
    >>> task = tasks.get("copy", max_length=5)
    >>> model = zoo.get("lstm_tiny", task=task)
    >>> found = zoo.callbacks("/tmp/example-run", task=task, model=model)
    """
    run_dir = pathlib.Path(run_dir)
    guard = NonFiniteGuard()
    result = [guard]
    schedule = None
    if task is not None:
        schedule = curriculum.make_curriculum(curriculum_name, task)
        result.append(schedule)
    if decay is not None:
        result.append(decay)
    result.append(GradientNormLogger())
    has_memory = model is not None and inspect.find_memory_layer(model)
    if has_memory and task is not None:
        result.append(_memory_images(run_dir, task, inspect_every))
    if task is not None and find_segment_stack(model) is not None:
        result.append(
            SegmentMemoryImages(
                run_dir / run_files.LOGS_DIR / INSPECTION_DIR,
                probe_inputs(task),
                InspectionSchedule(every=inspect_every or None),
                pictures=inspect_every != 0,
                attention=task.spec.modality == "bits",
            )
        )
    if task is not None and task.spec.modality == "tokens":
        result.extend(_language_loggers(run_dir, task, model, inspect_every))
    result.append(
        keras.callbacks.TensorBoard(
            log_dir=str(run_dir / run_files.LOGS_DIR),
            write_graph=False,
            profile_batch=0,
        )
    )
    result.append(
        checkpointing.RunCheckpoint(
            run_dir / run_files.CHECKPOINTS_DIR,
            task=task,
            curriculum=schedule,
            epochs=epochs,
            guard=guard,
        )
    )
    if max_minutes is not None:
        result.append(TimeBudget(max_minutes))
    # Last, so that its end-of-epoch time includes every other callback.
    result.append(RunTimer())
    return result


def _memory_images(run_dir, task, inspect_every=None):
    """`MemoryImages` of a recurrent memory model (an NTM, a DNC).

    On a bit task every epoch, as it always was; on a token task, where
    the eager trace of a story can cost as much as an epoch, at the epochs
    of its own `InspectionSchedule` (`inspect_every`; 0 keeps the scalars
    and drops the pictures).
    """
    log_dir = run_dir / run_files.LOGS_DIR
    if task.spec.modality == "bits":
        return MemoryImages(log_dir, probe_example(task))
    return MemoryImages(
        log_dir,
        probe_example(task),
        schedule=InspectionSchedule(every=inspect_every or None),
        pictures=inspect_every != 0,
    )


def _language_loggers(run_dir, task, model, inspect_every=None):
    """Text samples (or translations and BLEU) and attention maps.

    Each logger comes only for a task that gives what it shows: running
    text to continue (`texts`), sentence pairs, or an example to draw
    attention over (`attention_example`). Question answering (bAbI) has
    neither text to continue nor an attention example, so it gets none.
    Text samples and attention maps share one `InspectionSchedule`
    (`inspect_every`: 0 drops them); translations give the `val_bleu`
    metric, so they run every epoch.
    """
    log_dir = run_dir / run_files.LOGS_DIR / INSPECTION_DIR
    loggers = []
    inspect = inspect_every != 0
    schedule = InspectionSchedule(every=inspect_every or None)
    if task.spec.structure == "sequence_to_sequence":
        loggers.append(TranslationSampleLogger(log_dir, task))
    elif hasattr(task, "texts") and inspect:
        loggers.append(TextSampleLogger(log_dir, task, schedule))
    if (
        inspect
        and model is not None
        and model.name in registry.list_models()
        and hasattr(task, "attention_example")
    ):
        attention_scores = registry.describe(model.name).attention_scores
        if attention_scores is not None:
            loggers.append(
                AttentionMapLogger(log_dir, task, attention_scores, schedule)
            )
    return loggers
