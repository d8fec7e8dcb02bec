"""Training runs: `train` starts one, `resume` continues a killed one."""

import pathlib
import time

import keras

import tasks
from ntm_keras import validation
from tasks import padding
from zoo import registry
from zoo.training import (
    checkpointing,
    compiling,
    decay,
    distribution,
    memory_budget,
    precision,
    run_files,
)
from zoo.training.callbacks import RunTimer
from zoo.training.callbacks import callbacks as standard_callbacks
from zoo.training.curriculum import CURRICULA
from zoo.training.divergence import NonFiniteGuard

TRAINING_DEFAULTS = {
    "epochs": 10,
    "steps_per_epoch": 100,
    "batch_size": 32,
    "seed": 0,
    # None: the model family's for the task (`zoo.registry.task_defaults`),
    # else "none".
    "curriculum": None,
    # None: the model family's for the task, else "none"; "cosine" lowers
    # the rate from the fraction `decay_start` of the epochs to
    # `decay_floor` times it at the last (`zoo.training.decay`).
    "decay": None,
    "decay_start": 0.0,
    "decay_floor": 0.1,
    # `distribution.STRATEGIES`: default (one device), mirrored (this
    # machine's devices), multiworker (the machines of TF_CONFIG).
    "strategy": "default",
    # `precision.PRECISIONS`: a Keras dtype policy for the model.
    "precision": "float32",
    # None: the time bucket that suits `jit_compile` (`resolve_time_bucket`).
    "time_bucket": None,
    # Stop at the end of the last epoch that fits in this many minutes
    # (None: no limit).
    "max_minutes": None,
    # Text samples and attention maps every this many epochs; 0: never;
    # None: whenever they cost at most 5% of the training time so far.
    "inspect_every": None,
    # Validation batches per epoch; 0: the whole split; None: a tenth of
    # `steps_per_epoch` (at least 1). The whole split is scored at the end.
    "validation_steps": None,
    # Compile options. None: the model family's default
    # (`zoo.describe(name).compile_options`), else `compile_for_task`'s.
    **dict.fromkeys(
        (
            "learning_rate",
            "warmup_steps",
            "label_smoothing",
            "global_clipnorm",
            "jit_compile",
            "amsgrad",
            "spike_factor",
            "steps_per_execution",
        )
    ),
}
# The training options that are compile options.
COMPILE_KEYS = tuple(
    key for key in TRAINING_DEFAULTS if key in compiling.COMPILE_DEFAULTS
)

# Batches are padded in time to a multiple of this when the train step is
# compiled with XLA, so that it compiles for a few shapes only.
DEFAULT_TIME_BUCKET = 8


def dataset(task, split, batch_size, time_bucket=0, **kwargs):
    """A task's split in batches, padded in time to `time_bucket` if set."""
    batches = task.dataset(split, batch_size, **kwargs)
    if time_bucket:
        batches = padding.bucket_by_time(batches, time_bucket)
    return batches


def resolve_validation_steps(validation_steps, steps_per_epoch):
    """Validation batches per epoch: the option, or a tenth of the steps.

    A validation batch costs about a third of a training step (forward
    only), so a tenth of the steps keeps validation near 3% of an epoch.
    Returns 0 for the whole split.
    """
    if validation_steps is not None:
        return validation_steps
    return max(1, steps_per_epoch // 10)


def resolve_time_bucket(time_bucket, jit_compile):
    """The time bucket of a run: `time_bucket`, or 8 with XLA, else 0."""
    if time_bucket is not None:
        return time_bucket
    return DEFAULT_TIME_BUCKET if jit_compile else 0


def split_overrides(model_name, task_name, overrides):
    """Routes `key=value` overrides to the model or the task.

    A key that both take must be prefixed, `model.key` or `task.key`.

    The family's task options for the task
    (`zoo.registry.task_option_defaults`) sit below the user's.

    Returns:
        `(model_overrides, task_overrides)`, two dicts of unparsed values.
    """
    model_keys = set(registry.describe(model_name).defaults)
    task_keys = set(tasks.options(task_name))
    model_overrides, task_overrides = {}, {}
    for key, value in overrides.items():
        owner, _, bare = key.rpartition(".")
        if owner == "model" or (
            not owner and bare in model_keys and bare not in task_keys
        ):
            model_overrides[bare] = value
        elif owner == "task" or (
            not owner and bare in task_keys and bare not in model_keys
        ):
            task_overrides[bare] = value
        elif not owner and bare in model_keys and bare in task_keys:
            raise ValueError(
                f"Ambiguous override {key!r}: both model {model_name!r} and "
                f"task {task_name!r} take it; write model.{bare} or "
                f"task.{bare}."
            )
        else:
            valid = sorted(model_keys | task_keys)
            raise ValueError(
                f"Unknown override {key!r}: model {model_name!r} and task "
                f"{task_name!r} take {valid}."
                f"{validation.did_you_mean(bare, valid)}"
            )
    family = registry.task_option_defaults(model_name, task_name)
    if family:
        _check_family_task_options(
            model_name, task_name, family, task_overrides
        )
        task_overrides = {**family, **task_overrides}
    return model_overrides, task_overrides


def _check_family_task_options(model_name, task_name, family, user):
    """Builds the task once, so that an error names the family's options.

    A user's valid override (say a smaller `max_items`) can clash with an
    option the family chose for them; the error must say where that came
    from and how to change it. Errors of the user's options alone are left
    to the build that follows.
    """
    try:
        tasks.get(task_name, **{**family, **user})
    except (TypeError, ValueError) as error:
        try:
            tasks.get(task_name, **user)
        except (TypeError, ValueError):
            return
        shown = " ".join(f"--set {k}=..." for k in family)
        raise type(error)(
            f"{error} Model {model_name!r} trains task {task_name!r} with "
            f"{family} unless told otherwise; to change that, set them "
            f"yourself ({shown})."
        ) from None


def _check_training_options(options):
    for key in ("epochs", "steps_per_epoch", "batch_size"):
        validation.check_positive_int(key, options[key])
    if options["steps_per_execution"] is not None:
        validation.check_positive_int(
            "steps_per_execution", options["steps_per_execution"]
        )
    validation.check_int("seed", options["seed"], minimum=0)
    for key in ("learning_rate", "global_clipnorm", "spike_factor"):
        if options[key] is not None:
            validation.check_float(key, options[key], minimum=0.0)
    if options["warmup_steps"] is not None:
        validation.check_int("warmup_steps", options["warmup_steps"], minimum=0)
    if options["label_smoothing"] is not None:
        validation.check_float(
            "label_smoothing", options["label_smoothing"], minimum=0.0
        )
    validation.check_choice("curriculum", options["curriculum"], CURRICULA)
    decay.check_decay(
        options["decay"], options["decay_start"], options["decay_floor"]
    )
    distribution.check_strategy(options["strategy"])
    precision.check_precision(options["precision"])
    if options["time_bucket"] is not None:
        validation.check_int("time_bucket", options["time_bucket"], minimum=0)
    if options["max_minutes"] is not None:
        _check_max_minutes(options["max_minutes"])
    for key in ("inspect_every", "validation_steps"):
        if options[key] is not None:
            validation.check_int(key, options[key], minimum=0)
    for key in ("jit_compile", "amsgrad"):
        if options[key] is not None:
            validation.check_bool(key, options[key])


def build_run(config, load=None):
    """Builds the task and the compiled model that a run's `config` describes.

    The model is built under the run's distribution strategy and dtype
    policy (`strategy` and `precision`, absent in older runs: one device,
    float32).

    Args:
        config: dict. A run's `config.json` contents.
        load: optional function that returns the model instead (resume
            loads a checkpoint), called under the same strategy.

    Returns:
        `(task, model)`.
    """
    training = config["training"]
    strategy = distribution.make_strategy(training.get("strategy", "default"))
    keras.utils.set_random_seed(training["seed"])
    task = tasks.get(config["task"]["name"], **config["task"]["options"])
    with (
        strategy.scope(),
        precision.precision_scope(training.get("precision", "float32")),
    ):
        if load is not None:
            return task, load()
        model = registry.build(
            config["model"]["name"],
            task,
            model_overrides=config["model"]["overrides"],
            compile_overrides=compile_overrides(training),
        )
    return task, model


def compile_overrides(training_options):
    """The compile options among a run's training options."""
    return {key: training_options.get(key) for key in COMPILE_KEYS}


def resolve_options(model_name, task_name, **training_options):
    """Checks training options and fills the unset ones, for one model and task.

    Options left unset (absent or None) take the model family's defaults for
    the task (`zoo.registry.task_defaults`), then `TRAINING_DEFAULTS`; this
    is the one place where that layering happens.

    Args:
        model_name: str. A name from `zoo.list()`.
        task_name: str. A name from `tasks.list()`.
        **training_options: any of `TRAINING_DEFAULTS`.

    Returns:
        dict with every key of `TRAINING_DEFAULTS`; `curriculum` and `decay`
        are names ("none" where there is none).

    Raises:
        ValueError: for an unknown option or a bad value, named.
    """
    unknown = set(training_options) - set(TRAINING_DEFAULTS)
    if unknown:
        raise ValueError(
            f"Unknown training option(s) {sorted(unknown)}; valid options are "
            f"{sorted(TRAINING_DEFAULTS)}."
        )
    chosen = {k: v for k, v in training_options.items() if v is not None}
    family = registry.task_defaults(model_name, task_name)
    options = {**TRAINING_DEFAULTS, **family, **chosen}
    options["curriculum"] = options["curriculum"] or "none"
    options["decay"] = options["decay"] or "none"
    _check_training_options(options)
    return options


def make_config(model_name, task_name, *, overrides=None, **training_options):
    """Checks a run's options and returns its `config.json` contents.

    Args:
        model_name: str. A name from `zoo.list()`.
        task_name: str. A name from `tasks.list()`.
        overrides: dict. `{key: value}` for model or task options, values as
            Python values or command-line strings.
        **training_options: any of `TRAINING_DEFAULTS`.

    Returns:
        dict with the `model` (name, overrides), `task` (name, options) and
        `training` options; `train` adds the resolved model and compile
        options.
    """
    options = resolve_options(model_name, task_name, **training_options)
    model_overrides, task_overrides = split_overrides(
        model_name, task_name, dict(overrides or {})
    )
    task_overrides.setdefault("seed", options["seed"])
    task_options = tasks.get(task_name, **task_overrides).config()
    model_overrides = validation.check_overrides(
        f"model {model_name!r}",
        model_overrides,
        registry.describe(model_name).defaults,
    )
    return {
        "model": {"name": model_name, "overrides": model_overrides},
        "task": {"name": task_name, "options": task_options},
        "training": options,
    }


def train(
    model_name,
    task_name,
    *,
    overrides=None,
    log_dir="runs",
    verbose="auto",
    callbacks=None,
    **training_options,
):
    """Trains a zoo model on a task in a new run directory.

    Everything is built and checked before the run directory is made, so a
    run that fails to start leaves nothing behind.

    Args:
        model_name: str. A name from `zoo.list()`.
        task_name: str. A name from `tasks.list()`.
        overrides: dict. `{key: value}` for model or task options, values as
            Python values or command-line strings.
        log_dir: path. Parent of the run directory. Defaults to `"runs"`.
        verbose: Keras `fit` verbosity.
        callbacks: optional list of `keras.callbacks.Callback`, run after
            the run's own.
        **training_options: any of `TRAINING_DEFAULTS`; `strategy`
            (`"default"`, `"mirrored"`, `"multiworker"`) and `precision`
            (`"float32"`, `"mixed_float16"`, `"mixed_bfloat16"`) among
            them.

    Returns:
        pathlib.Path. The run directory (on a non-chief worker of a
        multi-worker run, the temporary directory it used, now removed).
    """
    run_files.check_writable_directory("log_dir", log_dir)
    # First: a multi-worker strategy must exist before TensorFlow runs
    # anything (the task's variables included).
    distribution.make_strategy(
        distribution.check_strategy(
            training_options.get("strategy", TRAINING_DEFAULTS["strategy"])
        )
    )
    config = make_config(
        model_name, task_name, overrides=overrides, **training_options
    )
    task, model = build_run(config)
    config["model"]["options"] = registry.resolve_config(
        model_name, task, **config["model"]["overrides"]
    )
    config["compile"] = compiling.resolve_compile_options(
        registry.describe(model_name),
        config["model"]["options"],
        **compile_overrides(config["training"]),
    )
    falls = config["training"]["decay"]
    if config["compile"]["warmup_steps"] and falls != "none":
        raise ValueError(
            f"Invalid `decay`: received {falls!r} with "
            f"warmup_steps={config['compile']['warmup_steps']}; the warm-up "
            "schedule sets the rate itself. Set decay='none', or "
            "warmup_steps=0 for a constant rate that can fall."
        )
    # Recorded as resolved, so that the run reads the same on resume
    # (XLA is off where the strategy cannot use it).
    config["compile"]["jit_compile"] = bool(model.jit_compile)
    options = config["training"]
    options["jit_compile"] = config["compile"]["jit_compile"]
    options["time_bucket"] = resolve_time_bucket(
        options["time_bucket"], options["jit_compile"]
    )
    memory_budget.check_training_memory(
        model,
        options["batch_size"],
        _longest_time_steps(task, options["batch_size"]),
        describe=f"{model_name} on {task_name}",
    )
    _check_one_batch(model, task, options["batch_size"])
    strategy = model.distribute_strategy
    if distribution.is_chief(strategy):
        run_dir = run_files.new_run_directory(log_dir, model_name, task_name)
    else:
        run_dir = None
    run_dir, temporary = distribution.worker_directory(strategy, run_dir)
    config["invocation"] = run_files.describe_invocation()
    run_files.write_json(run_dir / run_files.CONFIG_FILE, config)
    try:
        return _fit(
            run_dir,
            config,
            task,
            model,
            state=None,
            verbose=verbose,
            callbacks=callbacks,
        )
    finally:
        distribution.remove_temporary(run_dir, temporary)


def resume(
    run_dir, *, epochs=None, max_minutes=None, verbose="auto", callbacks=None
):
    """Continues a run from its last checkpoint.

    The model, optimizer state, epoch counter, task difficulty and
    curriculum state all come back, and the train batches continue where
    the checkpoint left them, so the result equals an uninterrupted run.

    A new total of `epochs` is recorded in each checkpoint's state as the
    run goes, and in `config.json` once the run has finished: a resume that
    fails, or is killed, leaves the records as they were.

    Args:
        run_dir: path. The run directory to continue.
        epochs: optional int. A new total number of epochs, at least the
            number already done.
        max_minutes: optional float > 0. A time budget for this resume,
            counted from its start, in place of the run's own (which
            applies again to each resume without one). Not recorded.
        verbose: Keras `fit` verbosity.
        callbacks: optional list of `keras.callbacks.Callback`, run after
            the run's own.

    Returns:
        pathlib.Path. The run directory.
    """
    if max_minutes is not None:  # before anything is read or said
        _check_max_minutes(max_minutes)
    run_dir = pathlib.Path(run_dir)
    config = run_files.read_config(run_dir)
    state = checkpointing.last_state(run_dir)
    done = 0 if state is None else state["epoch"]
    recorded = config["training"]["epochs"]
    if state is not None and state.get("epochs"):
        recorded = state["epochs"]
    if epochs is not None:
        epochs = validation.check_positive_int("epochs", epochs)
        if epochs < done:
            raise ValueError(
                f"Invalid `epochs`: received {epochs}, but run "
                f"{str(run_dir)!r} has already trained {done} epochs; "
                f"expected a total of at least {done} (nothing was "
                "changed)."
            )
        if epochs != recorded:
            print(f"Epochs: {recorded} -> {epochs} (from --epochs)")
        recorded = epochs
    config["training"]["epochs"] = recorded
    if max_minutes is not None:
        print(
            f"Time budget: {config['training'].get('max_minutes')} -> "
            f"{max_minutes} minutes for this resume (from --max-minutes)"
        )
        config["training"]["max_minutes"] = max_minutes
    run_files.check_writable_directory("run_dir", run_dir)
    load = None
    if state is not None:

        def load():
            return checkpointing.load_state_model(run_dir, state)

    task, model = build_run(config, load=load)
    # A multi-worker run resumes on every worker from the chief's run
    # directory (shared, or copied); only the chief writes to it.
    write_dir, temporary = distribution.worker_directory(
        model.distribute_strategy, run_dir
    )
    if temporary:
        run_files.write_json(write_dir / run_files.CONFIG_FILE, config)
    try:
        return _fit(
            write_dir,
            config,
            task,
            model,
            state=state,
            verbose=verbose,
            callbacks=callbacks,
        )
    finally:
        distribution.remove_temporary(write_dir, temporary)


def _check_max_minutes(value):
    validation.check_float("max_minutes", value)
    if value <= 0:
        raise ValueError(
            f"Invalid `max_minutes`: received {value}; expected a number of "
            "minutes > 0."
        )


def _longest_time_steps(task, batch_size):
    """The most time steps of a validation or test batch of `task`.

    Batches are padded to their longest sequence, so a batch of
    `batch_size` shows the time steps a train batch at the task's length
    range will have.
    """
    longest = 1
    for split in ("validation", "test"):
        try:
            inputs, _, _ = next(iter(task.dataset(split, batch_size)))
        except (StopIteration, ValueError):
            continue
        for part in keras.tree.flatten(inputs):
            if len(part.shape) >= 2:
                longest = max(longest, int(part.shape[1]))
    return longest


def _check_one_batch(model, task, batch_size):
    inputs, _, _ = next(iter(task.dataset("validation", batch_size)))
    model(keras.tree.map_structure(lambda part: part[:1], inputs))


def _fit(run_dir, config, task, model, *, state, verbose, callbacks=None):
    training = config["training"]
    initial_epoch = 0
    run_callbacks = standard_callbacks(
        run_dir,
        task=task,
        model=model,
        curriculum_name=training["curriculum"],
        epochs=training["epochs"],
        inspect_every=training.get("inspect_every"),
        max_minutes=training.get("max_minutes"),
        decay=decay.make_decay(
            training.get("decay", "none"),
            config.get("compile", {}).get("learning_rate")
            or compiling.DEFAULT_LEARNING_RATE,
            training["epochs"],
            start=training.get("decay_start", TRAINING_DEFAULTS["decay_start"]),
            floor=training.get("decay_floor", TRAINING_DEFAULTS["decay_floor"]),
        ),
    )
    (guard,) = [c for c in run_callbacks if isinstance(c, NonFiniteGuard)]
    run_callbacks += list(callbacks or ())
    if state is not None:
        initial_epoch = state["epoch"]
        task.set_difficulty(state["difficulty"])
        for callback in run_callbacks:
            if isinstance(callback, checkpointing.RunCheckpoint):
                callback.restore(state)
            if state["curriculum"] and hasattr(callback, "set_state"):
                callback.set_state(state["curriculum"])
    print(f"Run directory: {run_dir}")
    print(f"Watch it with: tensorboard --logdir {run_dir.parent}")
    batch_size = training["batch_size"]
    steps = training["steps_per_epoch"]

    def data(split, **kwargs):
        batches = dataset(
            task, split, batch_size, training.get("time_bucket"), **kwargs
        )
        return distribution.distribute_dataset(
            batches, model.distribute_strategy
        )

    started = time.perf_counter()
    validation_steps = resolve_validation_steps(
        training.get("validation_steps"), steps
    )
    validation_data = data("validation")
    if validation_steps:
        # A fixed subset (the split's first batches) every epoch: `take`
        # restarts with each epoch, unlike `fit`'s `validation_steps`.
        validation_data = validation_data.take(validation_steps)
    history = model.fit(
        data("train", start=initial_epoch * steps),
        steps_per_epoch=steps,
        epochs=training["epochs"],
        initial_epoch=initial_epoch,
        validation_data=validation_data,
        callbacks=run_callbacks,
        shuffle=False,
        verbose=verbose,
    )
    last_epoch = {
        key: values[-1] for key, values in history.history.items()
    } or (state or {}).get("logs", {})
    error = guard.error()
    if error is not None:
        # Non-finite values are written as null (`run_files.write_json`).
        run_files.write_json(
            run_dir / run_files.METRICS_FILE,
            {
                "diverged": error.report,
                "epochs": training["epochs"],
                "difficulty": task.difficulty,
                "last_epoch": last_epoch,
            },
        )
        raise error
    epochs_done = len(history.epoch) + initial_epoch
    final = {
        "epochs": epochs_done,
        "difficulty": task.difficulty,
        "last_epoch": last_epoch,
        # The last weights on the whole held-out splits.
        "validation": model.evaluate(
            data("validation"), return_dict=True, verbose=0
        ),
        "test": model.evaluate(data("test"), return_dict=True, verbose=0),
    }
    timers = [c for c in run_callbacks if isinstance(c, RunTimer)]
    if timers:
        final["timing"] = {
            **timers[0].summary(),
            "seconds_with_final_evaluation": round(
                time.perf_counter() - started, 2
            ),
        }
    if epochs_done < training["epochs"]:
        final["stopped_early"] = (
            f"max_minutes={training.get('max_minutes')} reached after "
            f"{epochs_done} of {training['epochs']} epochs"
        )
    run_files.write_json(run_dir / run_files.METRICS_FILE, final)
    # The run's total is recorded once the epochs it names are done.
    config_path = run_dir / run_files.CONFIG_FILE
    recorded = run_files.read_json(config_path)
    if recorded["training"]["epochs"] != training["epochs"]:
        recorded["training"]["epochs"] = training["epochs"]
        run_files.write_json(config_path, recorded)
    print(f"Final metrics: {run_dir / run_files.METRICS_FILE}")
    return run_dir
