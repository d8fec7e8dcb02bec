"""Compiling a model for a task: loss, metrics and the default optimizer."""

from ntm_keras import optimizers, validation

DEFAULT_LEARNING_RATE = 1e-3
DEFAULT_GLOBAL_CLIPNORM = 50.0


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
    learning_rate=DEFAULT_LEARNING_RATE,
    global_clipnorm=DEFAULT_GLOBAL_CLIPNORM,
    jit_compile=False,
    steps_per_execution=1,
    amsgrad=False,
):
    """Compiles `model` with the task's loss and metrics.

    The optimizer is Adam with gradients clipped to a global norm
    (Collier & Beel 2018 use 50 with Adam 1e-3 and batch 32); it records the
    global gradient norm for TensorBoard.

    Args:
        model: a `keras.Model` sized for `task`.
        task: a `tasks.Task`.
        learning_rate: float or a `LearningRateSchedule`. Defaults to `1e-3`.
        global_clipnorm: float. Defaults to `50.0`.
        jit_compile: bool. Compile the train step with XLA. Defaults to
            `False`; variable sequence lengths make XLA recompile often
            (pad them with `tasks.padding.bucket_by_time`).
        steps_per_execution: int. Train steps per call into the compiled
            function; more than 1 saves the Python overhead of small steps.
        amsgrad: bool. Use the AMSGrad variant of Adam, whose step size
            cannot grow when gradients shrink after convergence.

    Returns:
        The compiled model.
    """
    check_model_fits_task(model, task)
    if isinstance(learning_rate, (int, float)):
        validation.check_float("learning_rate", learning_rate, minimum=0.0)
    validation.check_float("global_clipnorm", global_clipnorm, minimum=0.0)
    model.compile(
        optimizer=optimizers.MonitoredAdam(
            learning_rate=learning_rate,
            global_clipnorm=global_clipnorm,
            amsgrad=amsgrad,
        ),
        loss=task.loss(),
        weighted_metrics=task.metrics(),
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    return model
