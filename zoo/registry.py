"""The model registry: register factories, list them, build models.

    @register("lstm", description="Stacked LSTM baseline", tags=("rnn",))
    def lstm(*, input_dim=9, output_dim=8, units=256, name="lstm"): ...

`get(name, task=None, **overrides)` calls the factory with its keyword
defaults, the task's sizes and the overrides, in that order. `build` is the
one function that builds and compiles a model: `get`, training, evaluation
and the benchmarks all call it.
"""

import dataclasses
import fnmatch
import re

from ntm_keras import validation
from zoo import preset_store

_MODELS = {}


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A registry entry.

    Attributes:
        name: str. The registry name, which is also the model's name.
        description: str. One line for `ntm-keras list`.
        defaults: dict. The hyperparameters and their defaults.
        tags: tuple of str. Labels to filter `list` by.
        factory: the function that builds the uncompiled model.
        compile_defaults: dict, or a function from the resolved model
            arguments to a dict. Optimizer and loss settings for
            `compile_for_task`.
        attention_scores: optional function `(model, inputs) -> dict` that
            returns the attention weights of every attention layer, for
            inspection (see `zoo.attention_maps`).
    """

    name: str
    description: str
    defaults: dict
    tags: tuple
    factory: object = dataclasses.field(repr=False)
    compile_defaults: object = dataclasses.field(default_factory=dict)
    attention_scores: object = dataclasses.field(default=None, repr=False)

    def compile_options(self, config):
        """Returns the `compile_for_task` arguments for model arguments."""
        if callable(self.compile_defaults):
            return dict(self.compile_defaults(config))
        return dict(self.compile_defaults)


def register(
    name,
    *,
    description="",
    tags=(),
    defaults=None,
    compile_defaults=None,
    attention_scores=None,
):
    """Decorator that registers a model factory under `name`.

    Args:
        name: str. Lowercase family name, with a size suffix for variants.
        description: str. One line.
        tags: tuple of str.
        defaults: dict. Replaces some of the factory's keyword defaults, so
            one factory can back several sizes (`lstm`, `lstm_tiny`).
        compile_defaults: dict, or a function from the resolved model
            arguments to a dict. Arguments of `compile_for_task` (e.g.
            `learning_rate`) used when `get` compiles for a task.
        attention_scores: optional function `(model, inputs) -> dict` of
            attention weights, for TensorBoard and the notes.

    Raises:
        ValueError: if `name` is taken or `defaults` names an unknown
            argument.
    """

    def decorator(factory):
        if name in _MODELS:
            raise ValueError(f"Model name {name!r} is registered twice.")
        merged = validation.keyword_defaults(factory)
        merged.pop("name", None)
        merged.update(
            validation.check_overrides(
                f"model {name!r}", dict(defaults or {}), merged
            )
        )
        _MODELS[name] = ModelSpec(
            name=name,
            description=description,
            defaults=merged,
            tags=tuple(tags),
            factory=factory,
            compile_defaults=(
                compile_defaults
                if callable(compile_defaults)
                else dict(compile_defaults or {})
            ),
            attention_scores=attention_scores,
        )
        return factory

    return decorator


def describe(name):
    """Returns the `ModelSpec` of `name`; raises `ValueError` if unknown."""
    if not isinstance(name, str) or name not in _MODELS:
        raise ValueError(
            f"Unknown model {name!r}; available models are "
            f"{list_models()}.{validation.did_you_mean(name, _MODELS)}"
        )
    return _MODELS[name]


def resolve_config(name, task=None, **overrides):
    """Returns the factory arguments `get` would use, as a dict.

    Task sizes (`modality`, `input_dim`, `output_dim`, and `structure` where
    the model takes it) take precedence over the defaults; an override that
    contradicts the task raises `ValueError`.
    """
    spec = describe(name)
    owner = f"model {name!r}"
    overrides = validation.check_overrides(owner, overrides, spec.defaults)
    config = dict(spec.defaults)
    if task is not None:
        sizes = task.spec.model_overrides(accepted=spec.defaults)
        missing = sorted(set(sizes) - set(spec.defaults))
        if missing:
            raise ValueError(
                f"Model {name!r} cannot be sized for task {task.name!r}: it "
                f"takes no {missing} argument."
            )
        for key, value in sizes.items():
            if key in overrides and overrides[key] != value:
                raise ValueError(
                    f"Invalid `{key}` for {owner}: received "
                    f"{overrides[key]!r}, but task {task.name!r} needs "
                    f"{value!r}. Drop the override or change the task."
                )
        config.update(sizes)
    config.update(overrides)
    return config


def get(name, task=None, *, preset=None, **overrides):
    """Builds a model from the registry.

    Args:
        name: str. A name from `zoo.list()`.
        task: optional `tasks.Task`. If given, the model is sized to the task
            and compiled with its loss, metrics and the family's optimizer.
        preset: optional str. Trained weights to load, from
            `zoo.presets(name)`; the model takes the options they were
            trained with.
        **overrides: hyperparameters (see `zoo.describe(name).defaults`).

    Returns:
        A Functional `keras.Model` named `name`; compiled when `task` is set.

    Raises:
        ValueError: for an unknown name or override, or a bad value.

    Example:

    >>> import zoo
    >>> model = zoo.get("lstm_tiny")
    >>> model.name
    'lstm_tiny'
    """
    return build(name, task, preset=preset, model_overrides=overrides)


def build(
    name,
    task=None,
    *,
    model_overrides=None,
    compile_overrides=None,
    preset=None,
):
    """Builds a zoo model and, for a task, compiles it: the one way to do it.

    Args:
        name: str. A name from `zoo.list()`.
        task: optional `tasks.Task`. Sizes the model and, if given, compiles
            it for the task.
        model_overrides: optional dict of hyperparameters.
        compile_overrides: optional dict of `compile_for_task` options (e.g.
            `learning_rate`, `global_clipnorm`, `jit_compile`, `amsgrad`);
            None values keep the family's default. Needs `task`.
        preset: optional str. Trained weights to load (see `get`).

    Returns:
        The `keras.Model`; compiled with the family's compile defaults
        updated by `compile_overrides` when `task` is set.
    """
    spec = describe(name)
    overrides = dict(model_overrides or {})
    if preset is not None:
        info = preset_store.preset_info(name, preset)
        overrides = {**info["overrides"], **overrides}
    config = resolve_config(name, task, **overrides)
    if task is None and compile_overrides:
        raise ValueError(
            f"Invalid `compile_overrides`: received {compile_overrides!r} "
            "without a task; expected a task to compile the model for."
        )
    model = spec.factory(name=name, **config)
    if preset is not None:
        preset_store.load_preset(model, name, preset)
    if task is not None:
        # Imported here: building a model without a task needs no training
        # code.
        from zoo.training import compiling

        options = compiling.resolve_compile_options(
            spec, config, **dict(compile_overrides or {})
        )
        compiling.compile_for_task(model, task, **options)
    return model


def presets(name):
    """Returns the names of the trained presets of the zoo entry `name`."""
    describe(name)
    return preset_store.list_presets(name)


def _natural_key(text):
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


def list_models(pattern="*", *, tags=None):
    """Returns registered names matching a shell pattern, naturally sorted.

    Args:
        pattern: str. Shell wildcard, e.g. `"lstm*"` or `"*_tiny"`.
        tags: optional iterable of str. Keep entries that have all of them.
    """
    wanted = set(tags or ())
    names = [
        name
        for name, spec in _MODELS.items()
        if fnmatch.fnmatchcase(name, pattern) and wanted <= set(spec.tags)
    ]
    return sorted(names, key=_natural_key)
