"""Compiling a model for a task: loss, metrics and the optimizer settings.

Every optimizer default is written once, as a keyword default of
`compile_for_task` (`COMPILE_DEFAULTS`); a model family's compile defaults
(`zoo.describe(name).compile_options`) replace some of them, and the user's
settings win over both (`resolve_compile_options`).
"""

import math

from ntm_keras import optimizers, schedules, validation
from zoo.training import distribution

# The constant rate of Adam without warm-up (Collier & Beel 2018).
DEFAULT_LEARNING_RATE = 1e-3


def check_model_fits_task(model, task):
    """Raises `ValueError` if the model's input or output size differs.

    Args:
        model: a `keras.Model` with one input and one output.
        task: a `tasks.Task`.
    """
    spec = task.spec
    input_shape = tuple(model.inputs[0].shape)
    output_shape = tuple(model.outputs[0].shape)
    if spec.modality == "bits":
        expected_input = spec.input_dim
        received_input = input_shape[-1]
    else:
        expected_input, received_input = None, None
    if received_input != expected_input:
        raise ValueError(
            f"Model {model.name!r} takes {received_input} features per step, "
            f"but task {task.name!r} gives {expected_input} "
            f"(inputs {input_shape}). Build the model with "
            f"`zoo.get(name, task=task)` to size it to the task."
        )
    if output_shape[-1] != spec.output_dim:
        raise ValueError(
            f"Model {model.name!r} gives {output_shape[-1]} outputs per step, "
            f"but task {task.name!r} scores {spec.output_dim}. Build the "
            "model with `zoo.get(name, task=task)` to size it to the task."
        )


def compile_for_task(
    model,
    task,
    *,
    learning_rate=None,
    global_clipnorm=50.0,
    jit_compile=False,
    steps_per_execution=1,
    amsgrad=False,
    spike_factor=0.0,
    warmup_steps=0,
    model_dim=None,
    label_smoothing=0.0,
):
    """Compiles `model` with the task's loss and metrics.

    The optimizer is Adam with gradients clipped to a global norm
    (Collier & Beel 2018 use 50 with Adam 1e-3 and batch 32); it records the
    global gradient norm for TensorBoard. With `warmup_steps`, the learning
    rate follows the Transformer's warm-up schedule
    (`ntm_keras.schedules.InverseSquareRootSchedule`), and Adam uses the
    paper's beta_2 = 0.98 and epsilon = 1e-9.

    Args:
        model: a `keras.Model` sized for `task`.
        task: a `tasks.Task`.
        learning_rate: float, a `LearningRateSchedule` or None. Without
            warm-up, the constant rate (None: `DEFAULT_LEARNING_RATE`).
            With warm-up, the
            peak rate, reached after `warmup_steps` steps (None: the
            paper's `(model_dim * warmup_steps)^-0.5`).
        global_clipnorm: float. The bound on the global gradient norm.
        jit_compile: bool. Compile the train step with XLA. Off by
            default: variable sequence lengths make XLA recompile often
            (pad them with `tasks.padding.bucket_by_time`).
        steps_per_execution: int. Train steps per call into the compiled
            function; more than 1 saves the Python overhead of small steps.
        amsgrad: bool. Use the AMSGrad variant of Adam, whose step size
            cannot grow when gradients shrink after convergence.
        spike_factor: float. Take a step whose gradient norm is more than
            this many times the running average as a zero gradient
            (`ntm_keras.optimizers.MonitoredAdam`); 0 takes every step.
        warmup_steps: int. Steps of linear warm-up before the inverse
            square-root decay; 0 for a constant rate.
        model_dim: int. The model width d_model of the schedule; needed
            with `warmup_steps`.
        label_smoothing: float. Label smoothing of token tasks' loss (bit
            tasks have none).

    Returns:
        The compiled model.
    """
    check_model_fits_task(model, task)
    validation.check_bool("jit_compile", jit_compile)
    validation.check_bool("amsgrad", amsgrad)
    warmup_steps = validation.check_int("warmup_steps", warmup_steps, minimum=0)
    validation.check_float("global_clipnorm", global_clipnorm, minimum=0.0)
    if isinstance(learning_rate, (int, float)):
        validation.check_float("learning_rate", learning_rate, minimum=0.0)
    adam = {}
    if warmup_steps:
        learning_rate = _warmup_schedule(learning_rate, warmup_steps, model_dim)
        adam = {"beta_2": 0.98, "epsilon": 1e-9}
    elif learning_rate is None:
        learning_rate = DEFAULT_LEARNING_RATE
    label_smoothing = validation.check_float(
        "label_smoothing", label_smoothing, minimum=0.0, maximum=0.999
    )
    if task.spec.modality == "tokens" and label_smoothing:
        loss = task.loss(label_smoothing=label_smoothing)
    else:
        loss = task.loss()
    # Under a strategy with several replicas on this machine XLA cannot
    # run; this says so and switches it off.
    jit_compile = distribution.usable_jit_compile(jit_compile, model)
    model.compile(
        optimizer=optimizers.MonitoredAdam(
            learning_rate=learning_rate,
            global_clipnorm=global_clipnorm,
            amsgrad=amsgrad,
            spike_factor=spike_factor,
            **adam,
        ),
        loss=loss,
        weighted_metrics=task.metrics(),
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    return model


def _warmup_schedule(peak, warmup_steps, model_dim):
    """The paper's schedule, scaled to peak at `peak` (None: the paper's)."""
    if model_dim is None:
        raise ValueError(
            f"Invalid `model_dim`: received None with warmup_steps="
            f"{warmup_steps}; expected the model width d_model, which the "
            "warm-up schedule needs."
        )
    model_dim = validation.check_positive_int("model_dim", model_dim)
    scale = 1.0
    if peak is not None:
        # The schedule peaks at scale * (model_dim * warmup_steps)^-0.5.
        scale = validation.check_float(
            "learning_rate", peak, minimum=0.0
        ) * math.sqrt(model_dim * warmup_steps)
    return schedules.InverseSquareRootSchedule(
        model_dim, warmup_steps=warmup_steps, scale=scale
    )


# The settings `compile_for_task` takes besides the model and the task, with
# their defaults: what a model family's compile defaults and the user set.
COMPILE_DEFAULTS = validation.keyword_defaults(compile_for_task)


def resolve_compile_options(spec, model_config, **overrides):
    """The `compile_for_task` options of a model: defaults, family, user.

    Args:
        spec: the model's `zoo.ModelSpec`.
        model_config: dict. The model's resolved arguments (some families'
            defaults depend on them, e.g. the Transformer's `model_dim`).
        **overrides: the user's settings; None keeps the family's.

    Returns:
        dict with every key of `COMPILE_DEFAULTS`.

    Raises:
        ValueError: for an option `compile_for_task` does not take.
    """
    family = spec.compile_options(model_config)
    chosen = {
        key: value for key, value in overrides.items() if value is not None
    }
    for owner, options in (
        (f"the compile defaults of model {spec.name!r}", family),
        ("compile_overrides", chosen),
    ):
        unknown = sorted(set(options) - set(COMPILE_DEFAULTS))
        if unknown:
            raise ValueError(
                f"Unknown compile option(s) {unknown} in {owner}; valid "
                f"options are {sorted(COMPILE_DEFAULTS)}."
            )
    return {**COMPILE_DEFAULTS, **family, **chosen}
