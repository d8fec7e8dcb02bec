"""Training runs: `train` starts one, `resume` continues a killed one.

Modules: `loop` (train and resume), `run_files` (the run directory),
`checkpointing`, `curriculum`, `compiling` (loss, metrics and optimizer
settings) and `callbacks` (the standard callbacks of a run). The names below
load `loop` on first use, so that compiling a model needs no task code.
"""

import importlib

_FROM_LOOP = (
    "COMPILE_KEYS",
    "DEFAULT_TIME_BUCKET",
    "TRAINING_DEFAULTS",
    "build_run",
    "compile_overrides",
    "dataset",
    "make_config",
    "resolve_options",
    "resolve_time_bucket",
    "resolve_validation_steps",
    "resume",
    "split_overrides",
    "train",
)


def __getattr__(name):
    if name in _FROM_LOOP:
        return getattr(importlib.import_module("zoo.training.loop"), name)
    raise AttributeError(f"module 'zoo.training' has no attribute {name!r}")


__all__ = list(_FROM_LOOP)
