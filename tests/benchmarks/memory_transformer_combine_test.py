"""Merging memory-Transformer runs made side by side."""

import json

import pytest

from testing import load_benchmark

combine = load_benchmark("memory_transformer_combine")


def _run(path, model, seeds, steps=1000):
    report = {
        "command": f"python copy.py --models {model}",
        "commit": f"c-{model}",
        "machine": "x86_64, 2 CPUs (shared)",
        "arguments": {
            "models": model,
            "seeds": ",".join(map(str, seeds)),
            "out": str(path),
            "steps": steps,
            "batch_size": 32,
        },
        "results": [
            {
                "model": model,
                "seed": seed,
                "parameters": 100,
                "first_step_at_most_0.1": None,
                "curve": [{"step": steps, "bit_errors_per_sequence": 1.0}],
            }
            for seed in reversed(seeds)
        ],
    }
    path.write_text(json.dumps(report))
    return path


def test_runs_of_one_experiment_merge_in_model_then_seed_order(tmp_path):
    first = _run(tmp_path / "a.json", "ntm_transformer", [1, 0])
    second = _run(tmp_path / "b.json", "segment_transformer", [2, 0])
    out = tmp_path / "both.json"
    plot = tmp_path / "both.png"
    arguments = [first, second, "--out", out, "--plot", plot]
    combine.main([str(a) for a in arguments])
    report = json.loads(out.read_text())
    assert [(r["model"], r["seed"]) for r in report["results"]] == [
        ("ntm_transformer", 0),
        ("ntm_transformer", 1),
        ("segment_transformer", 0),
        ("segment_transformer", 2),
    ]
    assert report["commits"] == ["c-ntm_transformer", "c-segment_transformer"]
    assert len(report["commands"]) == 2
    assert report["arguments"] == {"steps": 1000, "batch_size": 32}
    assert plot.stat().st_size > 0


def test_runs_with_other_options_or_no_report_are_refused(tmp_path):
    first = _run(tmp_path / "a.json", "ntm_transformer", [0])
    longer = _run(tmp_path / "b.json", "ntm_transformer", [1], steps=2000)
    with pytest.raises(ValueError, match=r"options \['steps'\] differ"):
        combine.combine([first, longer])
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(ValueError, match=r"Cannot read run .*broken"):
        combine.combine([first, broken])
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match=r"expected the JSON of an exp"):
        combine.combine([tmp_path / "list.json"])
    with pytest.raises(ValueError, match=r"received none"):
        combine.combine([])
