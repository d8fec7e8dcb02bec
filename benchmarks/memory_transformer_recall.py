"""Associative recall past the attention window: memory against a window.

    python benchmarks/memory_transformer_recall.py --seeds 0,1,2 \
        --out notes/data/memory-transformer-recall.json \
        --plot notes/figures/memory-transformer-recall.png

Experiment 2 of `notes/memory-transformer.md`. The task is
`associative_recall` (`tasks.get("associative_recall")`): `N` items
(`--min-items` to `--max-items`) of `--item-length` vectors of `--num-bits`
bits, each after an item delimiter, then a query item between two query
delimiters, then the answer: the item that followed the query in the list.
Item k occupies steps `(V + 1) k` to `(V + 1) k + V` (V = item length),
the query starts at `(V + 1) N` and the answer at `(V + 1) (N + 1) + 1`.

Every model sees the input through windows of `--window` steps
(`segment_transformer`, `ntm_transformer`, `dnc_transformer`; see
`memory_transformer_experiment.py`). The script refuses a window in which,
for some item count and query, a step of the answer could attend to a
vector of the item it must write (`check_window`): so the answer always
lies in another window than the item it repeats, and only a memory can
carry it across. A model that guesses makes `V D / 2` bit errors per
sequence (D = bits), the chance level in the JSON.

Each (model, seed) trains for `--steps` steps of batch `--batch-size` with
the zoo's compile defaults and is evaluated every `--eval-every` steps on
`--eval-size` held-out sequences (the task's `test` split, `--min-items`
to `--max-items` items; `--train-min-items 3` trains on 3 or more items
only, so that the two-item shortcut of the task's docstring is gone, and
tests on the same range). At the end its errors on that split are broken
down by item count and queried item (`errors_by_query`), with whether the
queried item and the one after it lie in one window (`pair_in_one_window`):
a pair that does can be seen together by attention and written to memory
as one; a pair split by a window boundary cannot. Beside each group, the
errors of a model that keeps the items but does no lookup and answers
with the bitwise majority of the items that can answer
(`candidate_mean_errors`): a model at that level has learned a bag of
items, not the association.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import memory_transformer_experiment as experiment  # noqa: E402
import recall_breakdown as breakdown  # noqa: E402

MODELS = ("segment_transformer", *experiment.MEMORY_TRANSFORMERS)


def answer_windows(item_length, items, query, window):
    """The windows of the answer's steps and of the item it repeats.

    Args:
        item_length: int. Vectors per item, V.
        items: int. Items in the list, N.
        query: int. Index of the queried item, 0 to N - 2.
        window: int. Steps per window.

    Returns:
        `(answer, stored)`: the sets of window indices that the answer's V
        steps and the V vectors of item `query + 1` fall in.
    """
    block = item_length + 1  # a delimiter and the item's vectors
    answer_start = block * (items + 1) + 1
    stored_start = block * (query + 1) + 1
    answer = {(answer_start + v) // window for v in range(item_length)}
    stored = {(stored_start + v) // window for v in range(item_length)}
    return answer, stored


def check_window(window, item_length, min_items, max_items):
    """Raises unless no answer shares a window with the item it repeats."""
    if window < 1:
        raise ValueError(
            f"Invalid `--window`: received {window}; expected a positive "
            "number of steps."
        )
    for items in range(min_items, max_items + 1):
        for query in range(items - 1):
            answer, stored = answer_windows(item_length, items, query, window)
            if answer & stored:
                raise ValueError(
                    f"Invalid `--window`: received {window}; with "
                    f"{items} items of {item_length} vectors and the query "
                    f"on item {query}, the answer and the item it repeats "
                    f"share window {min(answer & stored)}. Expected a "
                    "window that keeps them apart (for example at most "
                    f"{item_length + 3} steps)."
                )


def run(name, seed, args):
    """Trains and evaluates one (model, seed); returns its result."""
    keras.utils.set_random_seed(seed)
    task = breakdown.recall_task(
        seed,
        **{key: getattr(args, key) for key in breakdown.RECALL_TASK_OPTIONS},
    )
    model, config = experiment.build(name, task, args)
    curve = experiment.train(model, task, args, {"model": name, "seed": seed})
    by_query = breakdown.errors_by_query(
        model,
        task.dataset("test", args.batch_size),
        args.num_bits,
        args.item_length,
        args.window,
    )
    return {
        "model": name,
        "seed": seed,
        "parameters": int(model.count_params()),
        "config": config,
        **experiment.summarise(curve),
        "errors_by_pair_window": breakdown.errors_by_pair_window(by_query),
        "errors_by_items": breakdown.errors_by_items(by_query),
        "errors_by_query": by_query,
        "curve": curve,
    }


def table(results):
    """A markdown table of the runs: errors at the end, best, when <= 0.1."""
    rows = [
        "| model | seed | parameters | bit errors / sequence at the end "
        "| best | first eval <= 0.1 | train s |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        reached = result["first_step_at_most_0.1"]
        cells = [
            result["model"],
            str(result["seed"]),
            f"{result['parameters']:,}",
            f"{result['final_bit_errors_per_sequence']:.2f}",
            f"{result['best_bit_errors_per_sequence']:.2f}",
            "never" if reached is None else f"{reached:,} steps",
            f"{result['curve'][-1]['train_seconds']:.0f}",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    experiment.add_run_options(
        parser, models="segment_transformer,ntm_transformer"
    )
    parser.add_argument("--window", type=int, default=8)
    parser.add_argument("--item-length", type=int, default=3)
    parser.add_argument("--min-items", type=int, default=2)
    parser.add_argument("--max-items", type=int, default=6)
    parser.add_argument(
        "--train-min-items",
        type=int,
        default=None,
        help="fewest items in training sequences (default: --min-items); "
        "3 takes away the two-item shortcut, the test keeps --min-items",
    )
    parser.add_argument("--num-bits", type=int, default=6)
    experiment.add_size_options(
        parser, baseline_feed_forward_dim=172, memory_size=16
    )
    experiment.add_training_options(parser, steps=1000, eval_every=100)
    args = parser.parse_args(argv)
    experiment.check_run_options(args, MODELS)
    check_window(args.window, args.item_length, args.min_items, args.max_items)
    floor = args.train_min_items
    if floor is not None and not 2 <= floor <= args.max_items:
        raise ValueError(
            f"Invalid `--train-min-items`: received {floor}; expected 2 to "
            f"--max-items ({args.max_items})."
        )
    return args


def report(args, commit, results):
    """Writes the JSON and the plot of the runs so far."""
    summary = "\n\n".join(
        [
            table(results),
            breakdown.groups_table(results),
            breakdown.items_table(results),
        ]
    )
    experiment.write_report(
        args.out,
        args,
        commit,
        results,
        chance_bit_errors_per_sequence=args.item_length * args.num_bits / 2,
        table=summary,
    )
    if args.plot:
        experiment.plot_curves(
            results,
            args.plot,
            f"associative recall, {args.min_items}-{args.max_items} items "
            f"of {args.item_length} x {args.num_bits} bits, window "
            f"{args.window}",
            args.batch_size,
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
