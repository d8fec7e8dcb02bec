"""The model zoo: a registry of prebuilt models, and the rooms around it.

import zoo
zoo.list()                      # ['lstm', 'lstm_tiny', ...]
model = zoo.get("lstm_tiny")    # uncompiled, default sizes
model = zoo.get("lstm", task=tasks.get("copy"))  # sized and compiled

`import zoo` loads the registry and the model families (`zoo.models`) only.
The other rooms load on first use: `zoo.training` (train and resume a run,
its files, checkpoints, curriculum, compile options and callbacks),
`zoo.tensorboard` (the loggers), `zoo.inference` (evaluation, sampling,
translation, preset export) and `zoo.cli` (the `ntm-keras` command).
"""

import importlib

from zoo import models  # noqa: F401  (registers the families)
from zoo.registry import (
    ModelSpec,
    build,
    describe,
    get,
    list_models,
    presets,
    register,
    resolve_config,
)

list = list_models  # noqa: A001  (the registry's public name)

# Loaded on first use, so that building a model needs no training code.
_LAZY_FUNCTIONS = {
    "callbacks": "zoo.training.callbacks",
    "check_model_fits_task": "zoo.training.compiling",
    "compile_for_task": "zoo.training.compiling",
}
_ROOMS = ("cli", "inference", "tensorboard", "training")


def __getattr__(name):
    if name in _LAZY_FUNCTIONS:
        return getattr(importlib.import_module(_LAZY_FUNCTIONS[name]), name)
    if name in _ROOMS:
        return importlib.import_module(f"zoo.{name}")
    raise AttributeError(f"module 'zoo' has no attribute {name!r}")


__all__ = [
    "ModelSpec",
    "build",
    "callbacks",
    "check_model_fits_task",
    "compile_for_task",
    "describe",
    "get",
    "list",
    "presets",
    "register",
    "resolve_config",
]
