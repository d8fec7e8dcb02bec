"""The standard callbacks of a training run."""

import pathlib

import keras

from ntm_keras import inspect
from zoo import checkpointing, curriculum, run_files
from zoo.gradient_norm_logger import GradientNormLogger
from zoo.memory_images import MemoryImages, probe_example


def callbacks(run_dir, *, task=None, model=None, curriculum_name="none"):
    """Returns the callbacks that make `fit` a resumable, inspectable run.

    In order: the curriculum (which logs `curriculum_level`), the gradient
    norm logger, for memory models the memory pictures and scalars,
    TensorBoard (`run_dir/logs`) and the checkpoint (`run_dir/checkpoints`).
    The loggers come before TensorBoard so that it writes what they add to
    the logs.

    Args:
        run_dir: path. The run directory.
        task: optional `tasks.Task`, for the curriculum and the checkpoint.
        model: optional `keras.Model`. With a memory cell (e.g. an NTM) and a
            bit task, adds `MemoryImages`.
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
    run_dir = pathlib.Path(run_dir)
    result = []
    schedule = None
    if task is not None:
        schedule = curriculum.make_curriculum(curriculum_name, task)
        result.append(schedule)
    result.append(GradientNormLogger())
    has_memory = model is not None and inspect.find_memory_layer(model)
    if has_memory and task is not None and task.spec.modality == "bits":
        result.append(
            MemoryImages(run_dir / run_files.LOGS_DIR, probe_example(task))
        )
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
