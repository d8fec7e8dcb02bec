"""The `ntm-keras` command: train, resume, evaluate, list and describe."""

import argparse
import os
import sys
import warnings

from zoo.user_errors import (  # noqa: F401 (the exit codes, for callers)
    EXIT_BAD_INPUT,
    EXIT_DIVERGED,
    EXIT_FILE_SYSTEM,
    run_reporting_errors,
)


def parse_sets(pairs):
    """Returns `{key: value}` of `--set key=value` strings (values unparsed)."""
    overrides = {}
    for pair in pairs or ():
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise ValueError(
                f"Invalid `--set`: received {pair!r}; expected key=value, "
                "e.g. --set units=64."
            )
        overrides[key.strip()] = value.strip()
    return overrides


def add_set_option(parser):
    """Adds the repeatable `--set KEY=VALUE` of model and task options."""
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="model or task option (model.KEY / task.KEY "
        "where both take it); repeatable",
    )


# Switches whose "auto" leaves the choice to the model family.
_SWITCHES = {"auto": None, "on": True, "off": False}

# `ntm-keras train` options: (type or "switch", help). The defaults come from
# `zoo.training.TRAINING_DEFAULTS`; None means the model family's choice,
# or what a third element says.
_TRAINING_HELP = {
    "epochs": (int, "epochs to train"),
    "steps_per_epoch": (int, "train steps per epoch"),
    "batch_size": (int, "sequences per batch"),
    "seed": (int, "seed of the weights and the task's data"),
    "learning_rate": (
        float,
        "the rate: constant, or the peak of a schedule where one is set "
        "(the Transformer's warm-up)",
    ),
    "warmup_steps": (
        int,
        "steps of the Transformer's warm-up schedule; 0 for none",
    ),
    "label_smoothing": (float, "label smoothing of token tasks"),
    "global_clipnorm": (float, "bound on the global gradient norm"),
    "amsgrad": ("switch", "use the AMSGrad variant of Adam"),
    "spike_factor": (
        float,
        "take a step whose gradient norm is more than this many times the "
        "running average as a zero gradient (0: take every step)",
    ),
    "jit_compile": ("switch", "compile the train step with XLA"),
    "curriculum": (
        str,
        "none, doubling or combined",
        "the model family's for the task, else none",
    ),
    "decay": (
        str,
        "none or cosine: lower the rate along a half cosine, epoch by "
        "epoch, to --decay-floor times it at the last epoch",
        "the model family's for the task, else none",
    ),
    "decay_start": (
        float,
        "the fraction of the epochs trained at the full rate before "
        "--decay cosine begins its fall",
    ),
    "decay_floor": (
        float,
        "the last epoch's rate under --decay cosine, as a fraction of the "
        "full rate",
    ),
    "strategy": (
        str,
        "default (one device), mirrored (every GPU of this machine, else "
        "its CPU) or multiworker (the machines of $TF_CONFIG; run the "
        "same command on each)",
    ),
    "precision": (
        str,
        "float32, mixed_float16 or mixed_bfloat16 (memory cells and "
        "losses stay float32)",
    ),
    "time_bucket": (
        int,
        "pad batches in time to a multiple of this (8 with XLA, else 0: "
        "no padding)",
    ),
    "max_minutes": (
        float,
        "stop at the end of the last epoch that fits in this many minutes "
        "(checkpointed, then evaluated as usual)",
        "no limit",
    ),
    "inspect_every": (
        int,
        "text samples, attention maps and memory pictures every N epochs; "
        "0: none",
        "when they cost at most 5%% of the training time so far",
    ),
    "validation_steps": (
        int,
        "validation batches per epoch, the split's first; 0: the whole "
        "split (the whole split is scored at the end in any case)",
        "a tenth of --steps-per-epoch",
    ),
    "steps_per_execution": (
        int,
        "train steps per call into the compiled step; raise it (e.g. 20) "
        "for small batches, where Python overhead dominates",
    ),
}


def add_training_options(parser, names=None, *, family=False):
    """Adds `--<option>` for training options, with their defaults.

    The benchmarks call this too, so that an option reads and defaults the
    same everywhere.

    Args:
        parser: an `argparse.ArgumentParser`.
        names: optional iterable of keys of `TRAINING_DEFAULTS` (all if
            None).
        family: bool. Whether the model family's per-task defaults
            (`zoo.registry.task_defaults`) apply: every option left out
            parses as None, so that `make_config` can tell it from a value
            the user typed, and `--help` says the family may set it.
    """
    from zoo.training import TRAINING_DEFAULTS

    names = tuple(names or TRAINING_DEFAULTS)
    # `training_options` reads these only: a script may use other names
    # (the throughput benchmark's --warmup-steps counts untimed steps).
    parser.set_defaults(training_option_names=names)
    for name in names:
        kind, text, *described = _TRAINING_HELP[name]
        default = TRAINING_DEFAULTS[name]
        shown = "the model family's" if default is None else default
        shown = described[0] if described else shown
        if family and default is not None:
            shown = f"{shown}, unless the model family sets one for the task"
            default = None
        flag = "--" + name.replace("_", "-")
        if kind == "switch":
            parser.add_argument(
                flag,
                choices=tuple(_SWITCHES),
                default="auto",
                help=f"{text} (default: auto, the model family's choice)",
            )
        else:
            parser.add_argument(
                flag,
                type=kind,
                default=default,
                help=f"{text} (default: {shown})",
            )


def training_options(args):
    """The training options of parsed arguments, as `train` takes them."""
    options = {}
    for name in args.training_option_names:
        value = _SWITCHES.get(getattr(args, name), getattr(args, name))
        if value is not None:  # None: the default
            options[name] = value
    return options


def build_model(name, task, model_overrides, args):
    """Builds and compiles a zoo model with the options of parsed arguments.

    For the benchmarks, whose options `add_training_options` declares.

    Returns:
        `(model, time_bucket)`: the compiled model and the time bucket its
        batches should be padded to.
    """
    from zoo import registry, training

    options = training_options(args)
    model = registry.build(
        name,
        task,
        model_overrides=model_overrides,
        compile_overrides=training.compile_overrides(options),
    )
    bucket = training.resolve_time_bucket(
        options.get("time_bucket"), bool(model.jit_compile)
    )
    return model, bucket


# `ntm-keras eval` defaults of the length evaluation (and bAbI's batch).
DEFAULT_LENGTHS = "10,20,40,80"
DEFAULT_NUM_SEQUENCES = 256
DEFAULT_EVAL_BATCH_SIZE = 32


def _given_or(value, default):
    """`value` if the option was given (not None), else `default`."""
    return default if value is None else value


def _parse_lengths(text):
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(
            f"Invalid `--lengths`: received {text!r}; expected "
            "comma-separated ints, e.g. 10,20,40."
        ) from None


def _add_checkpoint_option(parser):
    parser.add_argument(
        "--checkpoint", choices=("best", "last"), default="best"
    )


def build_parser():
    parser = argparse.ArgumentParser(
        prog="ntm-keras",
        description="Train and inspect memory-augmented networks.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    from zoo import registry

    train = commands.add_parser(
        "train",
        help="train a zoo model on a task",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="per-task defaults (used unless set):\n  "
        + "\n  ".join(registry.describe_task_defaults()),
    )
    parser.train_parser = train  # its defaults tell what --resume was given
    train.add_argument("model", nargs="?", help="a name from `ntm-keras list`")
    train.add_argument("--task", help="a task name from `ntm-keras list`")
    # Options left out parse as None: a resumed run keeps its own, a new
    # one takes the family's for the task, else the default --help shows.
    add_training_options(train, family=True)
    train.add_argument(
        "--data-dir",
        default=None,
        help="directory of the language data sets (default: $NTM_KERAS_DATA)",
    )
    train.add_argument("--log-dir", default="runs")
    add_set_option(train)
    train.add_argument(
        "--resume",
        metavar="RUN_DIR",
        help="continue this run from its last checkpoint",
    )

    evaluate = commands.add_parser(
        "eval",
        help="length-generalisation table and plot of a run, the bAbI "
        "error table of a bAbI run, or a language model's scores on its "
        "whole validation and test splits",
    )
    evaluate.add_argument("run_dir")
    evaluate.add_argument(
        "--lengths",
        "--sizes",
        default=None,
        help="sizes to test: lengths, or items (associative recall) or "
        f"inputs (priority sort) (default: {DEFAULT_LENGTHS})",
    )
    evaluate.add_argument(
        "--num-sequences",
        type=int,
        default=None,
        help=f"sequences per size (default: {DEFAULT_NUM_SEQUENCES})",
    )
    evaluate.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help=f"sequences per batch (default: {DEFAULT_EVAL_BATCH_SIZE}; "
        "the run's own for the split scores)",
    )
    evaluate.add_argument(
        "--split",
        choices=("validation", "test"),
        default=None,
        help="the split a bAbI run is scored on (default: test)",
    )
    _add_checkpoint_option(evaluate)
    evaluate.add_argument(
        "--memory-size",
        type=int,
        default=None,
        help="rebuild the model with this many memory slots (NTM) first",
    )
    evaluate.add_argument(
        "--data-dir",
        default=None,
        help="directory of the language data sets, in place of the run's "
        "(split scores only)",
    )

    preset = commands.add_parser(
        "preset", help="ship a run's trained weights as a zoo preset"
    )
    preset.add_argument("run_dir")
    preset.add_argument("name", help="the preset's name, e.g. copy")
    preset.add_argument(
        "--out",
        default=None,
        help="directory to write to (default: $NTM_KERAS_PRESETS, else "
        "~/.ntm_keras/presets)",
    )
    preset.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing preset of that name",
    )
    _add_checkpoint_option(preset)

    sample = commands.add_parser(
        "sample",
        help="generate text with a trained language model: a run, or a "
        "shipped preset (no data needed)",
    )
    sample.add_argument("run_dir", nargs="?", help="a language-model run")
    sample.add_argument(
        "--preset",
        default=None,
        help="sample from this preset instead of a run, e.g. tiny_shakespeare",
    )
    sample.add_argument(
        "--model",
        default="transformer_lm",
        help="the zoo entry of --preset (default: transformer_lm)",
    )
    sample.add_argument("--prompt", default="\n", help="text to continue")
    sample.add_argument("--length", type=int, default=500)
    sample.add_argument("--temperature", type=float, default=1.0)
    sample.add_argument("--top-k", type=int, default=None)
    sample.add_argument("--seed", type=int, default=None)
    _add_checkpoint_option(sample)

    translate = commands.add_parser(
        "translate", help="translate with a trained encoder-decoder"
    )
    translate.add_argument("run_dir")
    translate.add_argument("sentences", nargs="*", help="English sentences")
    translate.add_argument(
        "--beam-width",
        type=int,
        default=4,
        help="beams of the beam search shown beside the greedy one",
    )
    translate.add_argument(
        "--bleu",
        action="store_true",
        help="score a whole split with BLEU instead",
    )
    translate.add_argument(
        "--split", choices=("validation", "test"), default="test"
    )
    translate.add_argument("--limit", type=int, default=None)
    _add_checkpoint_option(translate)

    listing = commands.add_parser("list", help="list models and tasks")
    listing.add_argument("pattern", nargs="?", default="*")

    describe = commands.add_parser(
        "describe", help="a model's or task's options and defaults"
    )
    describe.add_argument("name")
    return parser


# What `--resume` cannot change: the run's own options, read from its
# config.json.
_FIXED_ON_RESUME = ("model", "task", "set", "data_dir", "log_dir")
# What it can: `--epochs` (a new total, recorded) and `--max-minutes` (a
# time budget for this resume only).
_CHANGEABLE_ON_RESUME = ("epochs", "max_minutes")


def _options_given_with_resume(args):
    """The options of `train` given besides those a resume can change."""
    parser_defaults = build_parser().train_parser
    given = []
    for name in (*_FIXED_ON_RESUME, *args.training_option_names):
        if name in _CHANGEABLE_ON_RESUME:
            continue
        if getattr(args, name) != parser_defaults.get_default(name):
            given.append("--" + name.replace("_", "-"))
    return ["MODEL" if flag == "--model" else flag for flag in given]


def run_train(args):
    from zoo import training

    options = training_options(args)
    if args.resume:
        given = _options_given_with_resume(args)
        if given:
            raise ValueError(
                f"Invalid options with --resume: received {given}; a "
                "resumed run keeps the model, task and options in its "
                "config.json, and only --epochs and --max-minutes can "
                "change. Drop them, or start a new run without --resume."
            )
        return training.resume(
            args.resume,
            epochs=options.get("epochs"),
            max_minutes=options.get("max_minutes"),
        )
    if not args.model or not args.task:
        raise ValueError(
            "`ntm-keras train` needs a MODEL and --task TASK, e.g. "
            "`ntm-keras train lstm_tiny --task copy`, or --resume RUN_DIR."
        )
    overrides = parse_sets(args.set)
    if args.data_dir is not None:
        overrides["task.data_dir"] = args.data_dir
    return training.train(
        args.model,
        args.task,
        overrides=overrides,
        log_dir=args.log_dir,
        **options,
    )


def run_eval(args):
    from zoo.inference import evaluation
    from zoo.training import run_files

    # Bad sizes are named before anything is read.
    lengths = _parse_lengths(_given_or(args.lengths, DEFAULT_LENGTHS))
    config = run_files.read_config(args.run_dir)
    task_name = config["task"]["name"]
    if task_name == "babi":
        _refuse_eval_options(
            args,
            task_name,
            ("lengths", "num_sequences", "memory_size", "data_dir"),
        )
        return _run_babi_eval(args)
    sizes = set(evaluation.GENERALISATION_OPTIONS)
    if not sizes & set(config["task"]["options"]):
        return _run_split_eval(args, task_name)
    _refuse_eval_options(args, task_name, ("split", "data_dir"))
    rows = evaluation.evaluate_lengths(
        args.run_dir,
        lengths,
        num_sequences=_given_or(args.num_sequences, DEFAULT_NUM_SEQUENCES),
        batch_size=_given_or(args.batch_size, DEFAULT_EVAL_BATCH_SIZE),
        which=args.checkpoint,
        memory_size=args.memory_size,
    )
    _, axis, _ = evaluation.generalisation_option(
        task_name, config["task"]["options"]
    )
    print(evaluation.format_table(rows, axis))
    suffix = f"-memory-{args.memory_size}" if args.memory_size else ""
    print(
        f"Wrote {os.path.join(args.run_dir, evaluation.EVAL_DIR)}/"
        f"lengths{suffix}.json and lengths{suffix}.png"
    )


def _refuse_eval_options(args, task_name, names):
    """Raises `ValueError` if an `eval` option that does not apply is given."""
    given = [
        "--" + name.replace("_", "-")
        for name in names
        if getattr(args, name) is not None
    ]
    if given:
        raise ValueError(
            f"Invalid options for a {task_name!r} run: received {given}, "
            "which do not apply to it: --lengths, --num-sequences and "
            "--memory-size are for tasks with generalisation sizes, --split "
            "for bAbI runs and --data-dir for the split scores of language "
            "models. Drop them."
        )


def _run_split_eval(args, task_name):
    from zoo.inference import evaluation, split_evaluation

    _refuse_eval_options(
        args, task_name, ("lengths", "num_sequences", "memory_size", "split")
    )
    report = split_evaluation.evaluate_splits(
        args.run_dir,
        which=args.checkpoint,
        batch_size=args.batch_size,
        data_dir=args.data_dir,
    )
    epoch = report["epoch"]
    print(
        f"The {args.checkpoint} checkpoint"
        + (f" (epoch {epoch})" if epoch is not None else "")
        + f" of {task_name} on its whole splits:"
    )
    print(split_evaluation.format_split_table(report))
    print(
        f"Wrote {os.path.join(args.run_dir, evaluation.EVAL_DIR)}/"
        f"{split_evaluation.split_file(args.checkpoint)}"
    )


def _run_babi_eval(args):
    from tasks.language import babi_report
    from zoo.inference import babi_evaluation, evaluation

    table = babi_evaluation.evaluate_babi(
        args.run_dir,
        split=_given_or(args.split, "test"),
        batch_size=_given_or(args.batch_size, DEFAULT_EVAL_BATCH_SIZE),
        which=args.checkpoint,
    )
    print(babi_report.format_error_table(table))
    print(
        f"Wrote {os.path.join(args.run_dir, evaluation.EVAL_DIR)}/"
        f"babi-{_given_or(args.split, 'test')}.json"
    )


def run_preset(args):
    from zoo.inference import export_preset

    path = export_preset.export_preset(
        args.run_dir,
        args.name,
        which=args.checkpoint,
        directory=args.out,
        overwrite=args.overwrite,
    )
    print(f"Wrote {path} and {path.with_suffix('').with_suffix('.json')}")


def run_sample(args):
    from zoo.inference import generation

    if (args.preset is None) == (args.run_dir is None):
        raise ValueError(
            "`ntm-keras sample` needs a RUN_DIR or --preset NAME (not both), "
            "e.g. `ntm-keras sample --preset tiny_shakespeare`."
        )
    if args.preset is not None:
        print(
            generation.sample_preset(
                args.model,
                args.preset,
                args.prompt,
                args.length,
                temperature=args.temperature,
                top_k=args.top_k,
                seed=args.seed,
            )
        )
        return
    print(
        generation.sample_run(
            args.run_dir,
            args.prompt,
            args.length,
            temperature=args.temperature,
            top_k=args.top_k,
            seed=args.seed,
            which=args.checkpoint,
        )
    )


def run_translate(args):
    from ntm_keras import validation
    from zoo.inference import translation

    validation.check_positive_int("beam_width", args.beam_width)
    if args.bleu:
        beam_width = args.beam_width if args.beam_width > 1 else 1
        score, rows, path = translation.bleu_run(
            args.run_dir,
            split=args.split,
            limit=args.limit,
            beam_width=beam_width,
            which=args.checkpoint,
        )
        print(
            f"BLEU on {len(rows)} {args.split} pairs (beam width "
            f"{beam_width}): {100 * score:.2f}"
        )
        for row in rows[:10]:
            print(f"  {row['english']}")
            print(f"    reference: {row['reference']}")
            print(f"    model:     {row['translation']}")
        print(f"Wrote {path}")
        return
    if not args.sentences:
        raise ValueError(
            "`ntm-keras translate` needs English sentences, e.g. "
            '`ntm-keras translate RUN_DIR "How are you?"`, or --bleu.'
        )
    for sentence in args.sentences:
        if not sentence.strip():
            raise ValueError(
                f"Invalid sentence: received {sentence!r}; expected an "
                "English sentence with at least one word."
            )
    greedy = translation.translate_run(
        args.run_dir, args.sentences, which=args.checkpoint
    )
    beams = None
    if args.beam_width > 1:
        beams = translation.translate_run(
            args.run_dir,
            args.sentences,
            beam_width=args.beam_width,
            which=args.checkpoint,
        )
    for index, sentence in enumerate(args.sentences):
        print(sentence)
        print(f"  greedy:        {greedy[index]}")
        if beams is not None:
            print(f"  beam search {args.beam_width}: {beams[index]}")


def run_list(args):
    import tasks
    import zoo

    print("Models:")
    for name in zoo.list(args.pattern):
        spec = zoo.describe(name)
        print(f"  {name:<22} {spec.description}")
    print("Tasks:")
    for name in tasks.list(args.pattern):
        doc = (tasks.registry.task_class(name).__doc__ or "").strip()
        print(f"  {name:<22} {doc.splitlines()[0] if doc else ''}")


def run_describe(args):
    import tasks
    import zoo

    if args.name in tasks.list():
        print(f"Task {args.name}")
        for key, value in tasks.options(args.name).items():
            print(f"  {key} = {value!r}")
        return
    spec = zoo.describe(args.name)
    print(f"Model {spec.name}: {spec.description}")
    print(f"  tags: {', '.join(spec.tags)}")
    for key, value in spec.defaults.items():
        print(f"  {key} = {value!r}")
    for line in zoo.registry.describe_task_defaults(spec.name):
        print(f"  task defaults: {line}")
    found = zoo.presets(spec.name)
    print(f"  presets: {', '.join(found) if found else 'none'}")


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    handlers = {
        "train": run_train,
        "eval": run_eval,
        "preset": run_preset,
        "sample": run_sample,
        "translate": run_translate,
        "list": run_list,
        "describe": run_describe,
    }

    def one_line_warning(message, *_):
        print(f"ntm-keras {args.command}: warning: {message}", file=sys.stderr)

    # Warnings (a damaged checkpoint, an ignored preset) as one line each.
    previous_showwarning = warnings.showwarning
    warnings.showwarning = one_line_warning
    try:
        return run_reporting_errors(
            f"ntm-keras {args.command}", handlers[args.command], args
        )
    finally:
        warnings.showwarning = previous_showwarning


if __name__ == "__main__":
    sys.exit(main())
