"""The model zoo: a registry of prebuilt models and the training glue.

import zoo
zoo.list()                      # ['lstm', 'lstm_tiny', ...]
model = zoo.get("lstm_tiny")    # uncompiled, default sizes
model = zoo.get("lstm", task=tasks.get("copy"))  # sized and compiled
"""

from zoo import (  # noqa: E402, F401  (registers the families)
    dnc,
    lstm,
    ntm,
    ntm_transformer,
    transformer,
    transformer_lm,
)
from zoo.callbacks import callbacks
from zoo.compiling import check_model_fits_task, compile_for_task
from zoo.registry import (
    ModelSpec,
    describe,
    get,
    list_models,
    presets,
    register,
    resolve_config,
)

list = list_models  # noqa: A001  (the registry's public name)

__all__ = [
    "ModelSpec",
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
