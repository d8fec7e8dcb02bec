import json

import pytest

from benchmarks import generalisation_table
from zoo import training


def _fake_run(directory, seed, errors, evaluation_name="lengths"):
    """A run directory with a config and an `eval/EVALUATION.json`."""
    config = training.make_config("ntm_tiny", "copy", seed=seed)
    (directory / "eval").mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(config))
    rows = [
        {
            "size": size,
            "bit_errors_per_sequence": error,
            "bit_accuracy": 1.0 - error / (8 * size),
        }
        for size, error in errors.items()
    ]
    evaluation = {"num_sequences": 4, "memory_size": None, "rows": rows}
    path = directory / "eval" / f"{evaluation_name}.json"
    path.write_text(json.dumps(evaluation))
    return directory


def test_one_row_per_run_with_each_size(tmp_path, capsys):
    first = _fake_run(tmp_path / "a", 0, {20: 0.0, 40: 1.5})
    second = _fake_run(tmp_path / "b", 3, {20: 0.25, 40: 8.0})
    out = tmp_path / "table.json"
    generalisation_table.main([str(first), str(second), "--out", str(out)])
    table = capsys.readouterr().out.splitlines()
    assert table[0] == (
        "| run | seed | 20: bit errors | 40: bit errors | 40: bit accuracy |"
    )
    assert table[2] == "| a | 0 | 0.000 | 1.500 | 0.9953 |"
    assert table[3] == "| b | 3 | 0.250 | 8.000 | 0.9750 |"
    rows = json.loads(out.read_text())
    assert [row["seed"] for row in rows] == [0, 3]
    assert rows[1]["sizes"]["40"]["bit_errors_per_sequence"] == 8.0


def test_a_run_without_an_evaluation_says_how_to_make_one(tmp_path):
    run = _fake_run(tmp_path / "a", 0, {20: 0.0})
    (run / "eval" / "lengths.json").unlink()
    with pytest.raises(SystemExit, match="ntm-keras eval"):
        generalisation_table.main([str(run)])


def test_another_evaluation_is_read_by_name(tmp_path, capsys):
    run = _fake_run(tmp_path / "a", 0, {20: 0.0})
    _fake_run(run, 0, {500: 2.0}, evaluation_name="lengths-memory-512")
    generalisation_table.main([str(run), "--evaluation", "lengths-memory-512"])
    table = capsys.readouterr().out.splitlines()
    assert table[2] == "| a | 0 | 2.000 | 0.9995 |"
