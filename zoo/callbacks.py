"""The standard callbacks of a training run."""

import pathlib

import keras

from zoo import checkpointing, curriculum, run_files
from zoo.gradient_norm_logger import GradientNormLogger


def callbacks(run_dir, *, task=None, model=None, curriculum_name="none"):
    """Returns the callbacks that make `fit` a resumable, inspectable run.

    In order: the curriculum (which logs `curriculum_level`), the gradient
    norm logger, TensorBoard (`run_dir/logs`) and the checkpoint
    (`run_dir/checkpoints`). The loggers come before TensorBoard so that it
    writes what they add to the logs.

    Args:
        run_dir: path. The run directory.
        task: optional `tasks.Task`, for the curriculum and the checkpoint.
        model: optional `keras.Model`; accepted so a script can pass what it
            has, not needed by the callbacks (Keras gives them the model).
        curriculum_name: str. A name from `zoo.curriculum.CURRICULA`:
            `"none"`, `"doubling"` or `"combined"`.

    Returns:
        A list of `keras.callbacks.Callback`.

    Example:

    >>> import tasks, zoo
    >>> task = tasks.get("copy", max_length=5)
    >>> model = zoo.get("lstm_tiny", task=task)
    >>> found = zoo.callbacks("/tmp/example-run", task=task, model=model)
    """
    del model  # Keras sets each callback's model in `fit`.
    run_dir = pathlib.Path(run_dir)
    result = []
    schedule = None
    if task is not None:
        schedule = curriculum.make_curriculum(curriculum_name, task)
        result.append(schedule)
    result.append(GradientNormLogger())
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
        )
    )
    return result
