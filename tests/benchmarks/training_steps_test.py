"""Per-step losses and gradient norms from a convergence checkpoint."""

import json

import pytest

from testing import load_benchmark, tiny_convergence_run

training_steps = load_benchmark("training_steps")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    tiny_convergence_run(out)
    return out


def _steps(records):
    return [r for r in records if "step" in r]


def test_each_step_is_printed_and_their_mean_is_the_period_s(run, tmp_path):
    saved = tmp_path / "after.keras"
    records = training_steps.main(
        [str(run), "--seed", "0", "--save", str(saved)]
    )
    assert saved.stat().st_size > 0
    steps = _steps(records)
    report = json.loads((run / "results.json").read_text())
    per_period = 32 // report["batch_size"]
    assert [s["step"] for s in steps] == list(range(per_period, 2 * per_period))
    assert records[-1]["period_end_step"] == 2 * per_period
    mean = sum(s["loss"] for s in steps) / len(steps)
    assert mean == pytest.approx(records[-1]["loss"], rel=1e-5)
    assert all(s["gradient_norm"] > 0 for s in steps)
    # The checkpoint is only read.
    state = json.loads((run / "seed-0/checkpoints/last.json").read_text())
    assert state["epoch"] == 1


def test_spike_skipping_carries_on_the_adam_state(run):
    plain = _steps(training_steps.main([str(run), "--seed", "0"]))
    never = training_steps.main(
        [str(run), "--seed", "0", "--spike-factor", "1e9"]
        + ["--spike-average", "1"]
    )
    # A factor no step reaches trains as the checkpoint's own optimizer.
    for ours, theirs in zip(_steps(never), plain, strict=True):
        assert ours["loss"] == pytest.approx(theirs["loss"], rel=1e-5)
        assert ours["spikes_skipped"] == 0
    always = _steps(
        training_steps.main(
            [str(run), "--seed", "0", "--spike-factor", "1.5"]
            + ["--spike-average", "1e-6"]
        )
    )
    assert [s["spikes_skipped"] for s in always] == list(
        range(1, len(always) + 1)
    )


def test_a_run_without_the_seed_s_checkpoint_is_a_usage_error(run, capsys):
    with pytest.raises(SystemExit) as stopped:
        training_steps.main([str(run), "--seed", "3"])
    assert stopped.value.code == 2
    assert "seed-3 holds no checkpoint" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        training_steps.main([str(run), "--seed", "0", "--save", str(run)])
    assert "exists; expected a new file" in capsys.readouterr().err


@pytest.mark.parametrize("average", ["inf", "nan", "0", "-5"])
def test_a_spike_average_that_is_no_norm_is_a_usage_error(run, capsys, average):
    with pytest.raises(SystemExit) as stopped:
        training_steps.main(
            [str(run), "--seed", "0", "--spike-factor", "10"]
            + ["--spike-average", average]
        )
    assert stopped.value.code == 2
    assert f"--spike-average: received {float(average)}" in (
        capsys.readouterr().err
    )


def test_a_folder_without_a_run_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        training_steps.main([str(tmp_path), "--seed", "0"])
    assert stopped.value.code == 2
    assert "holds no results.json" in capsys.readouterr().err
