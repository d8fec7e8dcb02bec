"""The model registry: register factories, list them, build models.

    @register("lstm", description="Stacked LSTM baseline", tags=("rnn",))
    def lstm(*, input_dim=9, output_dim=8, units=256, name="lstm"): ...

`get(name, task=None, **overrides)` calls the factory with its keyword
defaults, the task's sizes and the overrides, in that order. `build` is the
one function that builds and compiles a model: `get`, training, evaluation
and the benchmarks all call it.

A family can also declare per-task defaults, training and compile options
that suit one task (`task_defaults={"repeat_copy": {"learning_rate": 1e-2,
"curriculum": "doubling"}}`). `task_defaults(name, task_name)` resolves
them; they sit above the family's compile defaults and below anything the
user sets: `build` applies the compile options among them, and
`zoo.training.make_config` (the command, the benchmarks) all of them.
"""

import dataclasses
import fnmatch
import re

from ntm_keras import validation
from zoo import preset_store

_MODELS = {}
TASK_OPTIONS = "task"  # the key of a family's task options in task_defaults
MODEL_OPTIONS = "model"  # the key of its model hyperparameters for a task


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
        task_defaults: dict from task names to dicts of training and
            compile options, or a function from a task name to such a dict
            (empty for tasks without defaults). See `task_defaults`.
    """

    name: str
    description: str
    defaults: dict
    tags: tuple
    factory: object = dataclasses.field(repr=False)
    compile_defaults: object = dataclasses.field(default_factory=dict)
    attention_scores: object = dataclasses.field(default=None, repr=False)
    task_defaults: object = dataclasses.field(default_factory=dict)

    def compile_options(self, config):
        """Returns the `compile_for_task` arguments for model arguments."""
        if callable(self.compile_defaults):
            return dict(self.compile_defaults(config))
        return dict(self.compile_defaults)

    def task_options(self, task_name):
        """Returns the family's default options for `task_name`, unchecked.

        Use `zoo.registry.task_defaults`, which checks them.
        """
        if callable(self.task_defaults):
            return dict(self.task_defaults(task_name) or {})
        return dict(self.task_defaults.get(task_name, {}))


def register(
    name,
    *,
    description="",
    tags=(),
    defaults=None,
    compile_defaults=None,
    attention_scores=None,
    task_defaults=None,
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
        task_defaults: dict `{task_name: {option: value}}`, or a function
            from a task name to such an option dict. Training options
            (`zoo.training.TRAINING_DEFAULTS`, e.g. `curriculum`,
            `batch_size`, `learning_rate`) that suit one task, used when
            the model is built or trained for it unless the user sets them;
            under the key `"task"`, a dict of the task's own options (see
            `task_option_defaults`); under the key `"model"`, a dict of the
            model's hyperparameters for the task (see
            `model_option_defaults`).

    Raises:
        ValueError: if `name` is taken or `defaults` names an unknown
            argument.
        TypeError: if `task_defaults` is neither a dict of dicts nor
            callable.
    """
    _check_task_defaults(name, task_defaults)

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
            task_defaults=(
                task_defaults
                if callable(task_defaults)
                else {
                    task: dict(options)
                    for task, options in (task_defaults or {}).items()
                }
            ),
        )
        return factory

    return decorator


def _check_task_defaults(name, task_defaults):
    if task_defaults is None or callable(task_defaults):
        return
    expected = (
        "expected a dict from task names to dicts of options, or a "
        "function from a task name to such a dict"
    )
    if not isinstance(task_defaults, dict):
        raise TypeError(
            f"Invalid `task_defaults` for model {name!r}: received "
            f"{task_defaults!r}; {expected}."
        )
    for task, options in task_defaults.items():
        if not isinstance(task, str) or not isinstance(options, dict):
            raise TypeError(
                f"Invalid `task_defaults` for model {name!r}: received "
                f"{task!r}: {options!r}; {expected}."
            )


def task_defaults(name, task_name):
    """The training and compile options model `name` defaults to on a task.

    They apply below the user's settings: `build` takes the compile options
    among them (e.g. `learning_rate`) unless `compile_overrides` sets them,
    and `zoo.training.make_config` all of them (e.g. `curriculum`) unless
    the run's options do.

    Args:
        name: str. A name from `zoo.list()`.
        task_name: str or None. A task name (None: no defaults).

    Returns:
        dict of options; empty when the family has none for the task.

    Raises:
        ValueError: if the family's defaults name an option that is not a
            training option.
    """
    spec = describe(name)
    if task_name is None:
        return {}
    options = spec.task_options(task_name)
    if not options:
        return {}
    # Imported here: the registry is loaded before the training code, and
    # the training code imports the tasks (TensorFlow), which a model
    # without task defaults must not need (the JAX benchmark has none).
    from zoo.training import loop

    options.pop(TASK_OPTIONS, None)  # see `task_option_defaults`
    options.pop(MODEL_OPTIONS, None)  # see `model_option_defaults`
    unknown = sorted(set(options) - set(loop.TRAINING_DEFAULTS))
    if unknown:
        raise ValueError(
            f"Unknown option(s) {unknown} in the task defaults of model "
            f"{name!r} for task {task_name!r}; valid options are "
            f"{sorted(loop.TRAINING_DEFAULTS)}."
        )
    return options


def task_option_defaults(name, task_name):
    """The task options model `name` trains `task_name` with by default.

    A family's task defaults may hold, under the key `"task"`, options of
    the task itself that suit the model, e.g. `{"associative_recall":
    {"task": {"train_min_items": 3}}}`. `zoo.training.split_overrides`
    puts them below the user's own task overrides, so the command and the
    benchmarks build the task with them; `tasks.get` alone does not.

    Returns:
        dict of task options, unparsed; empty when the family has none.

    Raises:
        TypeError: if the family's `"task"` entry is not a dict.
    """
    return _nested_options(name, task_name, TASK_OPTIONS, "task options")


def _nested_options(name, task_name, key, what):
    """The dict under `key` (`"task"`, `"model"`) of a family's task
    defaults, checked; `what` names its contents in the error."""
    if task_name is None:
        return {}
    options = describe(name).task_options(task_name).get(key, {})
    if not isinstance(options, dict):
        raise TypeError(
            f"Invalid {key} options in the task defaults of "
            f"model {name!r} for task {task_name!r}: received {options!r}; "
            f"expected a dict of {what}."
        )
    return dict(options)


def model_option_defaults(name, task_name):
    """The hyperparameters model `name` takes by default on `task_name`.

    A family's task defaults may hold, under the key `"model"`,
    hyperparameters that suit one task, e.g. `{"copy": {"model":
    {"min_sharpening": 2.0}}}`. `resolve_config` puts them above the
    family's defaults and below the task's sizes and the user's overrides,
    so `get(name, task)`, the command and the benchmarks all build the
    model with them.

    Returns:
        dict of hyperparameters; empty when the family has none.

    Raises:
        TypeError: if the family's `"model"` entry is not a dict.
        ValueError: if it names a hyperparameter the model does not take.
    """
    options = _nested_options(name, task_name, MODEL_OPTIONS, "hyperparameters")
    owner = f"the task defaults of model {name!r} for task {task_name!r}"
    return validation.check_overrides(owner, options, describe(name).defaults)


def describe_task_defaults(pattern="*"):
    """One line per model and task with per-task defaults, for `--help`.

    Only families declared with a dict list their tasks; a function's
    tasks are not known in advance.
    """
    lines = []
    for name in list_models(pattern):
        spec = _MODELS[name]
        if callable(spec.task_defaults):
            lines.append(f"{name}: depends on the task (a function)")
            continue
        for task, options in sorted(spec.task_defaults.items()):
            shown = ", ".join(f"{k}={v!r}" for k, v in options.items())
            lines.append(f"{name} on {task}: {shown}")
    return lines


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

    From lowest to highest: the family's defaults, its hyperparameters for
    the task (`model_option_defaults`), the task's sizes (`modality`,
    `input_dim`, `output_dim`, and `structure` where the model takes it),
    the overrides; an override that contradicts the task's sizes raises
    `ValueError`.
    """
    spec = describe(name)
    owner = f"model {name!r}"
    overrides = validation.check_overrides(owner, overrides, spec.defaults)
    config = dict(spec.defaults)
    if task is not None:
        config.update(model_option_defaults(name, task.name))
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
            None values keep the family's default for the task
            (`task_defaults`, then `describe(name).compile_options`). Needs
            `task`.
        preset: optional str. Trained weights to load (see `get`).

    Returns:
        The `keras.Model`; compiled with the family's compile defaults
        updated by `compile_overrides` when `task` is set.
    """
    spec = describe(name)
    overrides = dict(model_overrides or {})
    if preset is not None:
        info = preset_store.preset_info(name, preset)
        # Every option the preset was trained with (presets exported before
        # `options` was recorded hold only those that differed from the
        # family's defaults then), so that a later change of a default does
        # not change the preset.
        trained = info.get("options", info["overrides"])
        overrides = {**trained, **overrides}
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

        # The family's defaults for this task, unless the user set them.
        chosen = {
            key: value
            for key, value in task_defaults(name, task.name).items()
            if key in compiling.COMPILE_DEFAULTS
        }
        chosen.update(
            (key, value)
            for key, value in (compile_overrides or {}).items()
            if value is not None
        )
        options = compiling.resolve_compile_options(spec, config, **chosen)
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
