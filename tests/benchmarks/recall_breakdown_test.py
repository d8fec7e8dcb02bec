"""Errors of an associative recall model by item and query, by hand."""

import copy
import json
import types

import numpy as np
import pytest

from testing import load_benchmark

breakdown = load_benchmark("recall_breakdown")


def test_pair_in_one_window_by_hand():
    # Items of 3 vectors take 4 steps: item q at steps 4q + 1 to 4q + 3.
    # Window 8: items 0 and 1 share window 0; items 1 (steps 5-7) and 2
    # (steps 9-11) do not.
    assert [breakdown.pair_in_one_window(3, q, 8) for q in range(5)] == [
        True, False, True, False, True,
    ]  # fmt: skip
    assert breakdown.pair_in_one_window(3, 1, 16)
    assert not breakdown.pair_in_one_window(3, 3, 16)  # steps 13-19


def _example_inputs():
    """The task docstring's example (3 items of 2 vectors of 2 bits, query
    on item 1), and the same list with the query on item 0, padded."""
    rows = ["..#....##......", ".##.##....##...", "#..#..#........",
            ".........#..#.."]  # fmt: skip
    first = np.array([[c == "#" for c in row] for row in rows], float).T
    second = np.zeros((17, 4))
    second[:15] = first
    second[10:12, :2] = first[1:3, :2]  # the query is now item 0
    return np.stack([np.pad(first, ((0, 2), (0, 0))), second])


def test_describe_sequences_finds_the_items_and_the_query():
    items, queries, stored = breakdown.describe_sequences(
        _example_inputs(), 2, 2
    )
    assert items.tolist() == [3, 3]
    assert queries.tolist() == [1, 0]
    # The docstring's items: (0 1, 1 1), (0 1, 0 1), (1 0, 1 0).
    expected = [[[0, 1], [1, 1]], [[0, 1], [0, 1]], [[1, 0], [1, 0]]]
    for vectors in stored:
        np.testing.assert_array_equal(vectors, expected)


def test_candidate_mean_errors_by_hand():
    # Items 1-3 can answer; their bitwise mean is (2/3, 1/3, 0), so the
    # majority answer is (1, 0, 0).
    stored = np.array([[[1, 1, 1]], [[1, 0, 0]], [[1, 1, 0]], [[0, 0, 0]]])
    errors = [breakdown.candidate_mean_errors(stored, q) for q in range(3)]
    assert errors == [0.0, 1.0, 1.0]
    # A tie (mean 0.5) counts half an error.
    tie = np.array([[[1, 1]], [[1, 0]], [[0, 0]]])
    assert breakdown.candidate_mean_errors(tie, 1) == 0.5


def test_errors_by_query_counts_wrong_answer_bits_by_hand():
    inputs = _example_inputs()
    targets = np.zeros((2, 17, 2))
    targets[:, 13:15, 0] = 1.0
    mask = np.zeros((2, 17))
    mask[:, 13:15] = 1.0
    predictions = targets.copy()
    predictions[0, 13, 1] = 0.9  # one wrong bit in the first sequence
    predictions[1, 13:15, 0] = 0.2  # two in the second
    predictions[1, 3, 1] = 1.0  # unscored: masked out
    model = types.SimpleNamespace(predict_on_batch=lambda x: predictions)
    rows = breakdown.errors_by_query(
        model, [(inputs, targets, mask)], num_bits=2, item_length=2, window=6
    )
    # Window 6, items of 3 steps: items 0 and 1 (steps 1-5) share window
    # 0; items 1 and 2 (steps 4-8) do not.
    # Items 1 and 2 differ in every bit: the mean of the candidates ties
    # on all 4 answer bits, 2 expected errors.
    assert rows == [
        {"items": 3, "query": 0, "pair_in_one_window": True,
         "sequences": 1, "bit_errors_per_sequence": 2.0,
         "candidate_mean_bit_errors_per_sequence": 2.0},
        {"items": 3, "query": 1, "pair_in_one_window": False,
         "sequences": 1, "bit_errors_per_sequence": 1.0,
         "candidate_mean_bit_errors_per_sequence": 2.0},
    ]  # fmt: skip
    pooled = {"sequences": 1, "candidate_mean_bit_errors_per_sequence": 2.0}
    assert breakdown.errors_by_pair_window(rows) == {
        "two_items": None,
        "pair_in_one_window": {**pooled, "bit_errors_per_sequence": 2.0},
        "pair_split": {**pooled, "bit_errors_per_sequence": 1.0},
    }
    assert breakdown.errors_by_items(rows) == [
        {"items": 3, "sequences": 2, "bit_errors_per_sequence": 1.5,
         "candidate_mean_bit_errors_per_sequence": 2.0},
    ]  # fmt: skip


def test_items_table_puts_the_baseline_in_brackets_and_marks_gaps():
    entry = {"sequences": 4, "bit_errors_per_sequence": 1.25,
             "candidate_mean_bit_errors_per_sequence": 4.5}  # fmt: skip
    results = [
        {"model": "a", "seed": 0, "errors_by_items": [{"items": 2, **entry}]},
        {"model": "b", "seed": 1, "errors_by_items": [{"items": 3, **entry}]},
    ]
    assert breakdown.items_table(results).splitlines() == [
        "| model | seed | 2 items | 3 items |",
        "|---|---|---|---|",
        "| a | 0 | 1.25 (4.50) | - |",
        "| b | 1 | - | 1.25 (4.50) |",
    ]


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    """The JSON of a two-step run of experiment 2 at tiny sizes (2 or 3
    items of one 2-bit vector, window 2: each item in a window of its own)."""
    recall = load_benchmark("memory_transformer_recall")
    out = tmp_path_factory.mktemp("recall") / "recall.json"
    recall.main(
        ["--model-dim", "8", "--num-heads", "2", "--feed-forward-dim", "8",
         "--memory-size", "4", "--word-size", "4", "--num-bits", "2",
         "--item-length", "1", "--max-items", "3", "--window", "2",
         "--batch-size", "4", "--eval-size", "16", "--jit-compile", "eager",
         "--models", "ntm_transformer", "--steps", "2", "--eval-every", "2",
         "--out", str(out)]
    )  # fmt: skip
    return out


def test_complete_rebuilds_the_baseline_a_run_recorded(tiny_report):
    report = json.loads(tiny_report.read_text())
    stripped = copy.deepcopy(report)
    for result in stripped["results"]:
        del result["errors_by_pair_window"], result["errors_by_items"]
        for row in result["errors_by_query"]:
            del row["candidate_mean_bit_errors_per_sequence"]
    completed = breakdown.complete(stripped)
    for old, new in zip(report["results"], completed["results"]):
        for key in (
            "errors_by_query",
            "errors_by_pair_window",
            "errors_by_items",
        ):
            assert new[key] == old[key]
    assert (
        sum(row["sequences"] for row in report["results"][0]["errors_by_query"])
        == 16
    )


def test_complete_refuses_a_run_of_another_test_split(tiny_report):
    report = json.loads(tiny_report.read_text())
    report["results"][0]["errors_by_query"][0]["sequences"] += 1
    with pytest.raises(ValueError, match="test split rebuilt for seed 0"):
        breakdown.complete(report)
    del report["results"][0]["errors_by_query"]
    with pytest.raises(ValueError, match="has no `errors_by_query`"):
        breakdown.complete(report)


def test_main_prints_the_tables_and_writes_the_json(
    tiny_report, tmp_path, capsys
):
    out = tmp_path / "completed.json"
    breakdown.main([str(tiny_report), "--out", str(out)])
    printed = capsys.readouterr().out
    assert "| model | seed | 2 items | 3+ items, pair in one window" in printed
    assert "| ntm_transformer | 0 |" in printed
    assert json.loads(out.read_text())["results"][0]["errors_by_items"]


@pytest.mark.parametrize("content", [None, "{not json", "[1, 2]", "{}"])
def test_main_names_a_bad_results_file_without_a_traceback(
    tmp_path, capsys, content
):
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SystemExit) as raised:
        breakdown.main([str(path)])
    assert raised.value.code == 2
    assert str(path) in capsys.readouterr().err
