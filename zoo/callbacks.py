"""The standard callbacks of a training run."""

import pathlib

import keras

from ntm_keras import inspect
from zoo import checkpointing, curriculum, registry, run_files
from zoo.attention_map_logger import AttentionMapLogger
from zoo.gradient_norm_logger import GradientNormLogger
from zoo.memory_images import MemoryImages, probe_example
from zoo.text_sample_logger import TextSampleLogger
from zoo.translation_sample_logger import TranslationSampleLogger

# Text samples and attention maps go to `logs/inspection`.
INSPECTION_DIR = "inspection"


def callbacks(run_dir, *, task=None, model=None, curriculum_name="none"):
    """Returns the callbacks that make `fit` a resumable, inspectable run.

    In order: the curriculum (which logs `curriculum_level`), the gradient
    norm logger, for memory models on bit tasks the memory pictures and
    scalars, for language tasks the inspection loggers (text samples or
    translations with their BLEU, and attention maps of zoo models, in
    `run_dir/logs/inspection`), TensorBoard (`run_dir/logs`) and the
    checkpoint (`run_dir/checkpoints`). The loggers come before TensorBoard
    so that it writes what they add to the logs.

    Args:
        run_dir: path. The run directory.
        task: optional `tasks.Task`, for the curriculum, the checkpoint and
            the inspection loggers.
        model: optional `keras.Model` from the zoo. With a memory cell (e.g.
            an NTM) and a bit task, adds `MemoryImages`; for a language task,
            its registry entry says how to read its attention weights (Keras
            gives the callbacks the model itself).
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
    if task is not None and task.spec.modality == "tokens":
        result.extend(_language_loggers(run_dir, task, model))
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


def _language_loggers(run_dir, task, model):
    """Text samples (or translations and BLEU) and attention maps."""
    log_dir = run_dir / run_files.LOGS_DIR / INSPECTION_DIR
    if task.spec.structure == "sequence_to_sequence":
        loggers = [TranslationSampleLogger(log_dir, task)]
    elif hasattr(task, "texts"):
        loggers = [TextSampleLogger(log_dir, task)]
    else:  # e.g. bAbI: no running text to sample from
        loggers = []
    if model is not None and model.name in registry.list_models():
        attention_scores = registry.describe(model.name).attention_scores
        if attention_scores is not None:
            loggers.append(AttentionMapLogger(log_dir, task, attention_scores))
    return loggers
