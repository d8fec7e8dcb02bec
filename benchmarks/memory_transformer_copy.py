"""Copy past the attention window: memory Transformers against a windowed one.

    python benchmarks/memory_transformer_copy.py --seeds 0 \
        --out notes/data/memory-transformer-copy.json \
        --plot notes/figures/memory-transformer-copy.png

Experiment 1 of `notes/memory-transformer.md`. Every model sees the copy
task (`tasks.get("copy")`, lengths 1 to `--max-length`, `--num-bits` bits,
so `2 L + 1` steps) through an attention window of `--window` steps:
`segment_transformer` (the zoo's `transformer_lm` on each window
separately, its feed-forward width raised so that its parameter count
comes within 10% of the memory model's), `ntm_transformer` and, with
`--models` naming it, `dnc_transformer` (see
`memory_transformer_experiment.py` for the models).

Each (model, seed) trains with the zoo's compile defaults for `--steps`
steps of batch `--batch-size` and is evaluated every `--eval-every` steps on
`--eval-size` held-out sequences (the task's `test` split, lengths 1 to
`--max-length`). One run at a time; the JSON records the curves, the
parameter counts and the seconds.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import memory_transformer_experiment as experiment  # noqa: E402

import tasks  # noqa: E402

MODELS = ("segment_transformer", *experiment.MEMORY_TRANSFORMERS)


def run(name, seed, args):
    """Trains and evaluates one (model, seed); returns its result."""
    keras.utils.set_random_seed(seed)
    task = tasks.get(
        "copy",
        num_bits=args.num_bits,
        max_length=args.max_length,
        seed=seed,
        eval_size=args.eval_size,
    )
    model, config = experiment.build(name, task, args)
    curve = experiment.train(model, task, args, {"model": name, "seed": seed})
    return {
        "model": name,
        "seed": seed,
        "parameters": int(model.count_params()),
        "config": config,
        **experiment.summarise(curve),
        "curve": curve,
    }


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    experiment.add_run_options(
        parser, models="segment_transformer,ntm_transformer"
    )
    parser.add_argument("--window", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=8)
    parser.add_argument("--num-bits", type=int, default=6)
    experiment.add_size_options(
        parser, baseline_feed_forward_dim=172, memory_size=16
    )
    experiment.add_training_options(parser, steps=1000, eval_every=100)
    args = parser.parse_args(argv)
    experiment.check_run_options(args, MODELS)
    return args


def report(args, commit, results):
    """Writes the JSON and the plot of the runs so far."""
    experiment.write_report(args.out, args, commit, results)
    if args.plot:
        experiment.plot_curves(
            results,
            args.plot,
            f"copy, lengths 1-{args.max_length}, window {args.window}",
            args.batch_size,
        )


def main(argv=None):
    args = parse_arguments(argv)
    results, _ = experiment.run_all(args, run, report)
    return results


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
