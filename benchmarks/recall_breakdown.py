"""Where an associative recall model goes wrong: errors by item and query.

`memory_transformer_recall.py` (experiment 2 of
`notes/memory-transformer.md`) breaks a trained model's held-out errors
down with these functions: by item count and queried item, by whether the
queried item and the next one lie in one attention window, and beside a
baseline, the errors of a model that keeps the items but does no lookup
(`candidate_mean_errors`). Run as a script on the JSON of
`memory_transformer_recall.py`, it fills in that baseline where the JSON
lacks it (runs before it existed) and prints the tables:

    python benchmarks/recall_breakdown.py runs/mt/recall.json [--out FILE]

Inputs are laid out as in
`tasks.get("associative_recall")`: item k's V vectors at steps
`(V + 1) k + 1` to `(V + 1) k + V`, after an item delimiter (channel D),
the query's after the N items, between query delimiters (channel D + 1).

Legend: N = items, V = vectors per item (`item_length`), D = bits.
"""

import argparse
import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402


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


def _keys_and_baselines(inputs, num_bits, item_length):
    """Each sequence's `(items, query)` and its `candidate_mean_errors`."""
    items, queries, stored = describe_sequences(inputs, num_bits, item_length)
    return [
        ((int(count), int(query)), candidate_mean_errors(vectors, query))
        for count, query, vectors in zip(items, queries, stored)
    ]


def errors_by_query(model, dataset, num_bits, item_length, window):
    """Bit errors per sequence grouped by item count and queried item.

    Args:
        model: a model with `predict_on_batch` giving probabilities
            `(batch_size, time, num_bits)`.
        dataset: iterable of `(inputs, targets, mask)` batches.
        num_bits: int. Bits per vector, D.
        item_length: int. Vectors per item, V.
        window: int. Steps per attention window.

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
        described = _keys_and_baselines(inputs, num_bits, item_length)
        for (key, baseline), error in zip(described, errors):
            sequences, total, base = totals.get(key, (0, 0.0, 0.0))
            totals[key] = (sequences + 1, total + float(error), base + baseline)
    return [
        {
            "items": count,
            "query": query,
            "pair_in_one_window": pair_in_one_window(
                item_length, query, window
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


def cell(pooled):
    """`errors (mean of the candidates)`, or `-` for no sequences."""
    if pooled is None:
        return "-"
    return (
        f"{pooled['bit_errors_per_sequence']:.2f} "
        f"({pooled['candidate_mean_bit_errors_per_sequence']:.2f})"
    )


def groups_table(results):
    """A markdown table of each run's errors on two items and, from three
    items on, by where the pair lies; the mean of the candidates' errors in
    brackets."""
    rows = [
        "| model | seed | 2 items | 3+ items, pair in one window "
        "| 3+ items, pair split |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        groups = result["errors_by_pair_window"]
        cells = [result["model"], str(result["seed"])]
        cells += [
            cell(groups[name])
            for name in ("two_items", "pair_in_one_window", "pair_split")
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
        cells += [cell(found.get(count)) for count in counts]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


RECALL_TASK_OPTIONS = (
    "num_bits",
    "item_length",
    "min_items",
    "max_items",
    "train_min_items",
    "eval_size",
)


def recall_task(seed, **options):
    """The associative recall task of experiment 2: `RECALL_TASK_OPTIONS`
    and the seed, which fixes the test split; no generalisation splits."""
    import tasks

    return tasks.get(
        "associative_recall", generalisation_items=(), seed=seed, **options
    )


def candidate_baselines(arguments, seed):
    """`candidate_mean_errors` summed by (items, query) over a test split.

    Args:
        arguments: the `arguments` of a `memory_transformer_recall.py`
            JSON: the task's sizes, `eval_size` and `batch_size`.
        seed: int. The run's seed, which fixes its test split.

    Returns:
        dict from `(items, query)` to `(sequences, summed errors)`.
    """
    task = recall_task(
        seed,
        **{key: arguments.get(key) for key in RECALL_TASK_OPTIONS},
    )
    totals = {}
    for inputs, _, _ in task.dataset("test", arguments["batch_size"]):
        described = _keys_and_baselines(
            np.asarray(inputs), arguments["num_bits"], arguments["item_length"]
        )
        for key, errors in described:
            sequences, total = totals.get(key, (0, 0.0))
            totals[key] = (sequences + 1, total + errors)
    return totals


def complete(report):
    """Adds the candidate baseline and the pooled groups to every result.

    Raises:
        ValueError: if a result has no `errors_by_query`, or its rows do
            not count the sequences the rebuilt test split holds.
    """
    for result in report["results"]:
        rows = result.get("errors_by_query")
        if not rows:
            raise ValueError(
                f"Invalid results: the run of {result.get('model')!r}, seed "
                f"{result.get('seed')}, has no `errors_by_query`; expected "
                "the JSON of memory_transformer_recall.py at or after "
                "commit bbc61df."
            )
        baselines = candidate_baselines(report["arguments"], result["seed"])
        for row in rows:
            sequences, total = baselines.get(
                (row["items"], row["query"]), (0, 0.0)
            )
            if sequences != row["sequences"]:
                raise ValueError(
                    f"Invalid results: {row['sequences']} sequences of "
                    f"{row['items']} items with the query on item "
                    f"{row['query']} in the run, {sequences} in the test "
                    f"split rebuilt for seed {result['seed']}; expected the "
                    "same split."
                )
            row["candidate_mean_bit_errors_per_sequence"] = round(
                total / sequences, 4
            )
        result["errors_by_pair_window"] = errors_by_pair_window(rows)
        result["errors_by_items"] = errors_by_items(rows)
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="a memory_transformer_recall.py JSON")
    parser.add_argument("--out", help="write the completed JSON here")
    args = parser.parse_args(argv)
    try:
        report = json.loads(pathlib.Path(args.results).read_text())
        report = complete(report)
    except KeyError as error:
        parser.error(
            f"{args.results}: the key {error} is missing; expected the JSON "
            "of memory_transformer_recall.py."
        )
    except (OSError, ValueError, TypeError) as error:
        parser.error(f"{args.results}: {error}")
    tables = "\n\n".join(
        [groups_table(report["results"]), items_table(report["results"])]
    )
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    print(tables)
    return report


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
