import json

import pytest

from benchmarks import plot_convergence_groups as groups


def _results(path, seeds):
    results = [
        {
            "seed": seed,
            "curve": [
                {"sequences": 100 * (i + 1), "bits_per_sequence": value}
                for i, value in enumerate(values)
            ],
        }
        for seed, values in seeds.items()
    ]
    path.write_text(json.dumps({"results": results}))
    return str(path)


def test_seeds_of_several_files_pool_and_the_median_is_at_the_common_end(
    tmp_path, capsys
):
    first = _results(tmp_path / "a.json", {0: [9.0, 5.0, 4.0], 1: [8.0, 7.0]})
    second = _results(tmp_path / "b.json", {2: [6.0, 3.0, 1.0]})
    out = tmp_path / "curves.png"
    groups.main(
        [
            "--group",
            f"start={first},{second}",
            "--metric",
            "bits_per_sequence",
            "--goal",
            "2",
            "--log",
            "--out",
            str(out),
        ]
    )
    line = json.loads(capsys.readouterr().out)
    # Seed 1 stopped after two evaluations: the summary is at 200.
    assert line == {
        "label": "start",
        "seeds": [0, 1, 2],
        "sequences": 200,
        "median": 5.0,
        "per_seed": [5.0, 7.0, 3.0],
    }
    assert out.stat().st_size > 0


def test_a_seed_of_a_file_is_taken_alone(tmp_path, capsys):
    both = _results(tmp_path / "a.json", {0: [9.0, 5.0], 4: [8.0, 7.0]})
    groups.main(
        ["--group", f"four={both}#4", "--metric", "bits_per_sequence"]
        + ["--out", str(tmp_path / "c.png")]
    )
    line = json.loads(capsys.readouterr().out)
    assert (line["seeds"], line["per_seed"]) == ([4], [7.0])


@pytest.mark.parametrize(
    "spec, message",
    [
        ("no-equals-sign", "expected LABEL=PATH"),
        ("label=missing.json", "missing.json"),
        ("label=SEEDS#3", "holds no seed 3"),
    ],
)
def test_bad_groups_are_usage_errors(tmp_path, capsys, spec, message):
    seeds = _results(tmp_path / "s.json", {0: [1.0]})
    spec = spec.replace("SEEDS", seeds)
    with pytest.raises(SystemExit) as stopped:
        groups.main(["--group", spec, "--out", str(tmp_path / "x.png")])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err
