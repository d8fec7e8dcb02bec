"""Length generalisation on copy: memory Transformer, NTM and Transformer.

    python benchmarks/memory_transformer_length.py --seeds 0 \
        --out notes/data/memory-transformer-length.json \
        --plot notes/figures/memory-transformer-length.png

Experiment 5 of `notes/memory-transformer.md`. Every model trains on the
copy task with lengths 1 to `--max-length` (`2 L + 1` steps) and is then
evaluated, in the same process, on `--eval-size` sequences of each length
in `--test-lengths` (the task's `length_<L>` splits) and of the longest
training length itself. The models (see `memory_transformer_experiment.py`):

- `ntm_transformer` (and `dnc_transformer` if named): window `--window`,
  `--memory-size` slots per block. Positions restart in every window, so
  a longer input brings no position the model has not seen; it brings
  more segments and more items to keep in memory.
- `transformer_lm`: the same decoder, attending to the whole input. Its
  sinusoidal encoding gives step t the position t, so a test sequence of
  length L puts positions up to `2 L` in front of a model trained on
  positions up to `2 --max-length`.
- `ntm`: the zoo's NTM (LSTM controller, 100 units) with
  `--ntm-memory-size` slots of 20.

Both memories must hold the longest test sequence (one slot per vector),
so `--memory-size` and `--ntm-memory-size` must be at least the longest
test length. `--save-dir` saves each trained model as
`<model>-seed<seed>.keras`.
"""

import argparse
import os
import pathlib
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import memory_transformer_experiment as experiment  # noqa: E402
import numpy as np  # noqa: E402

import tasks  # noqa: E402

MODELS = ("transformer_lm", *experiment.MEMORY_TRANSFORMERS, "ntm")


def check_lengths(text, max_length):
    """Returns the test lengths in `text`, each longer than `max_length`."""
    try:
        lengths = [int(length) for length in text.split(",")]
    except ValueError:
        lengths = []
    if not lengths or min(lengths) <= max_length:
        raise ValueError(
            f"Invalid `--test-lengths`: received {text!r}; expected "
            "comma-separated lengths longer than the longest training "
            f"length, --max-length {max_length}."
        )
    return sorted(set(lengths))


def check_memory(argument, memory_size, longest):
    """Raises unless a memory of `memory_size` slots holds `longest`."""
    if memory_size < longest:
        raise ValueError(
            f"Invalid `{argument}`: received {memory_size}; expected at "
            f"least the longest test length, {longest}, so that the memory "
            "can hold one slot per vector."
        )


def evaluate_lengths(model, task, lengths, batch_size):
    """Returns `{length: bit errors per sequence}` on `length_<L>` splits."""
    return {
        length: experiment.bit_errors(
            model, task.dataset(f"length_{length}", batch_size)
        )
        for length in lengths
    }


def run(name, seed, args):
    """Trains one (model, seed), evaluates it at every length."""
    keras.utils.set_random_seed(seed)
    lengths = [args.max_length, *args.length_list]
    task = tasks.get(
        "copy",
        num_bits=args.num_bits,
        max_length=args.max_length,
        generalisation_lengths=tuple(lengths),
        seed=seed,
        eval_size=args.eval_size,
    )
    model, config = experiment.build(name, task, args)
    curve = experiment.train(model, task, args, {"model": name, "seed": seed})
    started = time.perf_counter()
    errors = evaluate_lengths(model, task, lengths, args.batch_size)
    print(f"{name} seed {seed}: {errors}", flush=True)
    if args.save_dir:
        directory = pathlib.Path(args.save_dir)
        directory.mkdir(parents=True, exist_ok=True)
        model.save(directory / f"{name}-seed{seed}.keras")
    return {
        "model": name,
        "seed": seed,
        "parameters": int(model.count_params()),
        "config": config,
        **experiment.summarise(curve),
        "length_bit_errors_per_sequence": {
            str(length): value for length, value in errors.items()
        },
        "length_eval_seconds": round(time.perf_counter() - started, 1),
        "curve": curve,
    }


def table(results, lengths):
    """A markdown table: bit errors per sequence, per model, seed, length."""
    header = ["model", "seed", "parameters"] + [f"L = {n}" for n in lengths]
    rows = [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for result in results:
        errors = result["length_bit_errors_per_sequence"]
        cells = [result["model"], str(result["seed"])]
        cells.append(f"{result['parameters']:,}")
        cells += [f"{errors[str(n)]:.2f}" for n in lengths]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def plot_lengths(results, path, title, max_length):
    """Plots bit errors against test length, one line per model."""
    pyplot = experiment._pyplot()
    figure, axis = pyplot.subplots(figsize=(8, 4.5))
    names = list(dict.fromkeys(r["model"] for r in results))
    for index, name in enumerate(names):
        runs = [r for r in results if r["model"] == name]
        lengths = sorted(
            int(n) for n in runs[0]["length_bit_errors_per_sequence"]
        )
        values = np.array(
            [
                [r["length_bit_errors_per_sequence"][str(n)] for n in lengths]
                for r in runs
            ]
        )  # (seeds, lengths)
        axis.plot(
            lengths,
            values.mean(axis=0),
            color=f"C{index}",
            marker="o",
            label=f"{name} ({runs[0]['parameters']:,} parameters, "
            f"{len(runs)} seed{'s' if len(runs) > 1 else ''})",
        )
        for row in values if len(runs) > 1 else ():
            axis.plot(lengths, row, color=f"C{index}", alpha=0.3, lw=1)
    axis.axvline(max_length, color="gray", linestyle=":", linewidth=1)
    experiment.save_error_figure(
        figure,
        axis,
        path,
        f"copy length L (trained on 1-{max_length}, dotted line)",
        title,
    )


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    experiment.add_run_options(
        parser, models="ntm_transformer,transformer_lm,ntm"
    )
    parser.add_argument("--window", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=8)
    parser.add_argument("--test-lengths", default="16,24,32,48")
    parser.add_argument("--num-bits", type=int, default=6)
    experiment.add_size_options(
        parser, baseline_feed_forward_dim=172, memory_size=64
    )
    parser.add_argument("--ntm-memory-size", type=int, default=128)
    experiment.add_training_options(parser, steps=2500, eval_every=500)
    parser.add_argument("--save-dir", default=None)
    args = parser.parse_args(argv)
    experiment.check_run_options(args, MODELS)
    args.length_list = check_lengths(args.test_lengths, args.max_length)
    longest = args.length_list[-1]
    if set(args.model_names) & set(experiment.MEMORY_TRANSFORMERS):
        check_memory("--memory-size", args.memory_size, longest)
    if "ntm" in args.model_names:
        check_memory("--ntm-memory-size", args.ntm_memory_size, longest)
    return args


def report(args, commit, results):
    """Writes the JSON and the plot of the runs so far."""
    lengths = [args.max_length, *args.length_list]
    summary = table(results, lengths)
    experiment.write_report(args.out, args, commit, results, table=summary)
    if args.plot:
        plot_lengths(
            results,
            args.plot,
            f"copy: train on lengths 1-{args.max_length}, test longer "
            f"(window {args.window} for the memory Transformers)",
            args.max_length,
        )
    return summary


def main(argv=None):
    args = parse_arguments(argv)
    results, summary = experiment.run_all(args, run, report)
    print(summary, flush=True)
    return results


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
