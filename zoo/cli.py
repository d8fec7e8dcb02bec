"""The `ntm-keras` command: train, resume, evaluate, list and describe."""

import argparse
import os
import sys


def _parse_sets(pairs):
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

    train = commands.add_parser("train", help="train a zoo model on a task")
    train.add_argument("model", nargs="?", help="a name from `ntm-keras list`")
    train.add_argument("--task", help="a task name from `ntm-keras list`")
    train.add_argument("--steps-per-epoch", type=int, default=100)
    train.add_argument("--epochs", type=int, default=None)
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="constant rate, or the peak with --warmup-steps "
        "(default: the model's, else 1e-3)",
    )
    train.add_argument(
        "--warmup-steps",
        type=int,
        default=None,
        help="steps of the Transformer's warm-up schedule; 0 for none "
        "(default: the model's)",
    )
    train.add_argument(
        "--label-smoothing",
        type=float,
        default=None,
        help="label smoothing of token tasks (default: the model's)",
    )
    train.add_argument(
        "--data-dir",
        default=None,
        help="directory of the language data sets (default: $NTM_KERAS_DATA)",
    )
    train.add_argument(
        "--curriculum", default="none", help="none, doubling or combined"
    )
    train.add_argument(
        "--jit-compile",
        choices=("auto", "on", "off"),
        default="auto",
        help="compile the train step with XLA; auto takes "
        "the model family's choice",
    )
    train.add_argument(
        "--time-bucket",
        type=int,
        default=None,
        help="pad batches in time to a multiple of this "
        "(default 8 with XLA, else 0: no padding)",
    )
    train.add_argument(
        "--steps-per-execution",
        type=int,
        default=1,
        help="train steps per call into the compiled step; raise it (e.g. "
        "20) for small batches, where Python overhead dominates",
    )
    train.add_argument("--log-dir", default="runs")
    train.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="model or task option (model.KEY / task.KEY "
        "where both take it); repeatable",
    )
    train.add_argument(
        "--resume",
        metavar="RUN_DIR",
        help="continue this run from its last checkpoint",
    )

    evaluate = commands.add_parser(
        "eval", help="length-generalisation table and plot of a run"
    )
    evaluate.add_argument("run_dir")
    evaluate.add_argument(
        "--lengths",
        "--sizes",
        default="10,20,40,80",
        help="sizes to test: lengths, or items (associative recall) or "
        "inputs (priority sort)",
    )
    evaluate.add_argument("--num-sequences", type=int, default=256)
    evaluate.add_argument("--batch-size", type=int, default=32)
    _add_checkpoint_option(evaluate)
    evaluate.add_argument(
        "--memory-size",
        type=int,
        default=None,
        help="rebuild the model with this many memory slots (NTM) first",
    )

    preset = commands.add_parser(
        "preset", help="ship a run's trained weights as a zoo preset"
    )
    preset.add_argument("run_dir")
    preset.add_argument("name", help="the preset's name, e.g. copy")
    _add_checkpoint_option(preset)

    sample = commands.add_parser(
        "sample", help="generate text with a trained language model"
    )
    sample.add_argument("run_dir")
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


def run_train(args):
    from zoo import training

    if args.resume:
        return training.resume(args.resume, epochs=args.epochs)
    if not args.model or not args.task:
        raise ValueError(
            "`ntm-keras train` needs a MODEL and --task TASK, e.g. "
            "`ntm-keras train lstm_tiny --task copy`, or --resume RUN_DIR."
        )
    overrides = _parse_sets(args.set)
    if args.data_dir is not None:
        overrides["task.data_dir"] = args.data_dir
    return training.train(
        args.model,
        args.task,
        overrides=overrides,
        log_dir=args.log_dir,
        epochs=args.epochs if args.epochs is not None else 10,
        steps_per_epoch=args.steps_per_epoch,
        batch_size=args.batch_size,
        seed=args.seed,
        learning_rate=args.learning_rate,
        warmup_steps=args.warmup_steps,
        label_smoothing=args.label_smoothing,
        curriculum=args.curriculum,
        jit_compile={"auto": None, "on": True, "off": False}[args.jit_compile],
        time_bucket=args.time_bucket,
        steps_per_execution=args.steps_per_execution,
    )


def run_eval(args):
    from zoo import evaluation, run_files

    rows = evaluation.evaluate_lengths(
        args.run_dir,
        _parse_lengths(args.lengths),
        num_sequences=args.num_sequences,
        batch_size=args.batch_size,
        which=args.checkpoint,
        memory_size=args.memory_size,
    )
    config = run_files.read_config(args.run_dir)
    _, axis, _ = evaluation.generalisation_option(
        config["task"]["name"], config["task"]["options"]
    )
    print(evaluation.format_table(rows, axis))
    suffix = f"-memory-{args.memory_size}" if args.memory_size else ""
    print(
        f"Wrote {os.path.join(args.run_dir, evaluation.EVAL_DIR)}/"
        f"lengths{suffix}.json and lengths{suffix}.png"
    )


def run_preset(args):
    from zoo import export_preset

    path = export_preset.export_preset(
        args.run_dir, args.name, which=args.checkpoint
    )
    print(f"Wrote {path} and {path.with_suffix('').with_suffix('.json')}")


def run_sample(args):
    from zoo import generation

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
    from zoo import translation

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
    try:
        handlers[args.command](args)
    except (ValueError, TypeError) as error:
        print(f"ntm-keras {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
