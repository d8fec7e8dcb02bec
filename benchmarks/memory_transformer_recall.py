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
import numpy as np  # noqa: E402

import tasks  # noqa: E402

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


def pair_in_one_window(item_length, query, window):
    """Whether item `query` and item `query + 1` lie in one window."""
    block = item_length + 1
    first = block * query + 1  # the queried item's first vector
    last = block * (query + 1) + item_length  # the next item's last vector
    return first // window == last // window


def describe_sequences(inputs, num_bits, item_length):
    """The items, item count and queried item of associative recall inputs.

    Args:
        inputs: `(batch_size, time, num_bits + 2)` NumPy array; channel
            `num_bits` marks items, channel `num_bits + 1` the query.
        num_bits: int. Bits per vector, D.
        item_length: int. Vectors per item, V.

    Returns:
        `(items, queries, stored)`: int arrays `(batch_size,)` of the item
        count N and the queried item's index, and a list of each
        sequence's items, `(N, V, D)` arrays.
    """
    block = item_length + 1
    items = np.sum(inputs[:, :, num_bits] > 0.5, axis=1).astype(int)
    queries = np.full(len(inputs), -1)
    stored = []
    for row, count in enumerate(items):
        starts = block * np.arange(count + 1) + 1  # the N items, the query
        vectors = np.stack(
            [inputs[row, s : s + item_length, :num_bits] for s in starts]
        )
        stored.append(vectors[:-1])
        for index in range(count - 1):
            if np.array_equal(vectors[index], vectors[-1]):
                queries[row] = index
                break
    return items, queries, stored


def candidate_mean_errors(stored, query):
    """Bit errors of answering with the mean of the items that can answer.

    The answer to a query is one of items 1 to N - 1 (item 0 follows
    nothing). A model that keeps those items but cannot find the one after
    the query does best by answering each bit with their majority; a bit
    on which they tie counts half an error (a coin flip).

    Args:
        stored: `(N, V, D)` array of one sequence's items.
        query: int. Index of the queried item.

    Returns:
        float, the expected wrong bits of that answer.
    """
    mean = stored[1:].mean(axis=0)
    answer = stored[query + 1] > 0.5
    wrong = (mean > 0.5) != answer
    return float(np.sum(np.where(mean == 0.5, 0.5, wrong)))


def errors_by_query(model, dataset, args):
    """Bit errors per sequence grouped by item count and queried item.

    Returns:
        list of dicts with `items`, `query`, `pair_in_one_window`,
        `sequences`, `bit_errors_per_sequence` and
        `candidate_mean_bit_errors_per_sequence` (`candidate_mean_errors`
        on the same sequences), sorted by items then query.
    """
    totals = {}
    for inputs, targets, mask in dataset:
        inputs, targets = np.asarray(inputs), np.asarray(targets)
        mask = np.asarray(mask)
        predictions = np.asarray(model.predict_on_batch(inputs))
        wrong = (predictions > 0.5) != (targets > 0.5)
        errors = np.sum(wrong * mask[:, :, None], axis=(1, 2))
        items, queries, stored = describe_sequences(
            inputs, args.num_bits, args.item_length
        )
        for count, query, error, vectors in zip(items, queries, errors, stored):
            key = (int(count), int(query))
            baseline = candidate_mean_errors(vectors, query)
            sequences, total, base = totals.get(key, (0, 0.0, 0.0))
            totals[key] = (sequences + 1, total + float(error), base + baseline)
    return [
        {
            "items": count,
            "query": query,
            "pair_in_one_window": pair_in_one_window(
                args.item_length, query, args.window
            ),
            "sequences": sequences,
            "bit_errors_per_sequence": round(total / sequences, 4),
            "candidate_mean_bit_errors_per_sequence": round(
                base / sequences, 4
            ),
        }
        for (count, query), (sequences, total, base) in sorted(totals.items())
    ]


ERROR_KEYS = (
    "bit_errors_per_sequence",
    "candidate_mean_bit_errors_per_sequence",
)


def _pooled(rows):
    """The rows' sequences and their errors, averaged over sequences."""
    sequences = sum(row["sequences"] for row in rows)
    pooled = {"sequences": sequences}
    for key in ERROR_KEYS:
        total = sum(row[key] * row["sequences"] for row in rows)
        pooled[key] = round(total / sequences, 4)
    return pooled


def _grouped(rows, group_of):
    """`_pooled` rows by `group_of(row)`, sorted; group None left out."""
    groups = {}
    for row in rows:
        key = group_of(row)
        if key is not None:
            groups.setdefault(key, []).append(row)
    return {key: _pooled(chosen) for key, chosen in sorted(groups.items())}


def errors_by_items(rows):
    """The rows of `errors_by_query` pooled over queries, by item count."""
    grouped = _grouped(rows, lambda row: row["items"])
    return [{"items": count, **pooled} for count, pooled in grouped.items()]


def errors_by_pair_window(rows):
    """Errors of two-item sequences, and of the others by where the pair is.

    With two items the only item that can answer is the answer, so the
    mean of the candidates is exact there; the pairs of longer sequences
    are split into those in one window and those across a boundary.

    Returns:
        dict of `two_items`, `pair_in_one_window` and `pair_split` (3 or
        more items), each `_pooled` or None where no sequence falls.
    """

    def group_of(row):
        if row["items"] == 2:
            return "two_items"
        if row["pair_in_one_window"]:
            return "pair_in_one_window"
        return "pair_split"

    grouped = _grouped(rows, group_of)
    names = ("two_items", "pair_in_one_window", "pair_split")
    return {name: grouped.get(name) for name in names}


def run(name, seed, args):
    """Trains and evaluates one (model, seed); returns its result."""
    keras.utils.set_random_seed(seed)
    task = tasks.get(
        "associative_recall",
        num_bits=args.num_bits,
        item_length=args.item_length,
        min_items=args.min_items,
        max_items=args.max_items,
        train_min_items=args.train_min_items,
        generalisation_items=(),
        seed=seed,
        eval_size=args.eval_size,
    )
    model, config = experiment.build(name, task, args)
    curve = experiment.train(model, task, args, {"model": name, "seed": seed})
    by_query = errors_by_query(
        model, task.dataset("test", args.batch_size), args
    )
    return {
        "model": name,
        "seed": seed,
        "parameters": int(model.count_params()),
        "config": config,
        **experiment.summarise(curve),
        "errors_by_pair_window": errors_by_pair_window(by_query),
        "errors_by_items": errors_by_items(by_query),
        "errors_by_query": by_query,
        "curve": curve,
    }


def _cell(pooled):
    """`errors (mean of the candidates)`, or `-` for no sequences."""
    if pooled is None:
        return "-"
    return (
        f"{pooled['bit_errors_per_sequence']:.2f} "
        f"({pooled['candidate_mean_bit_errors_per_sequence']:.2f})"
    )


def table(results):
    """A markdown table of the runs: errors at the end, best, when <= 0.1,
    and at the end by group, with the mean of the candidates' errors in
    brackets (`errors_by_pair_window`)."""
    rows = [
        "| model | seed | parameters | bit errors / sequence at the end "
        "| best | first eval <= 0.1 | 2 items | 3+ items, pair in one "
        "window | 3+ items, pair split | train s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        reached = result["first_step_at_most_0.1"]
        by_window = result["errors_by_pair_window"]
        cells = [
            result["model"],
            str(result["seed"]),
            f"{result['parameters']:,}",
            f"{result['final_bit_errors_per_sequence']:.2f}",
            f"{result['best_bit_errors_per_sequence']:.2f}",
            "never" if reached is None else f"{reached:,} steps",
            _cell(by_window["two_items"]),
            _cell(by_window["pair_in_one_window"]),
            _cell(by_window["pair_split"]),
            f"{result['curve'][-1]['train_seconds']:.0f}",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def items_table(results):
    """A markdown table of each run's errors by item count, with the errors
    of answering with the mean of the candidates in brackets."""
    counts = sorted({e["items"] for r in results for e in r["errors_by_items"]})
    rows = [
        "| model | seed | "
        + " | ".join(f"{count} items" for count in counts)
        + " |",
        "|---|---|" + "---|" * len(counts),
    ]
    for result in results:
        found = {e["items"]: e for e in result["errors_by_items"]}
        cells = [result["model"], str(result["seed"])]
        cells += [_cell(found.get(count)) for count in counts]
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
    summary = table(results) + "\n\n" + items_table(results)
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
    main()
