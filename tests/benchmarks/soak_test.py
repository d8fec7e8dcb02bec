"""The soak benchmark: its counts of non-finite values, zero and not."""

import json
import math

import keras
import numpy as np
import pytest

from testing import load_benchmark
from zoo.training import divergence

soak = load_benchmark("soak")

# ntm_tiny on copies of 4 vectors (one batch shape: the train step is
# traced once), without XLA (its compile costs more than the few batches
# here).
TINY = ["--batch-size", "4", "--jit-compile", "off"]
TINY += ["--set", "min_length=4", "--set", "max_length=4"]
LENGTHS = {"min_length": "4", "max_length": "4"}


class SpoilWeights(keras.callbacks.Callback):
    """Sets every weight to NaN at the end of batch `after` (1-based)."""

    def __init__(self, after):
        super().__init__()
        self.after = after
        self.seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.after:
            for variable in self.model.weights:
                variable.assign(np.full(variable.shape, np.nan))


def test_a_short_soak_of_ntm_tiny_counts_nothing_non_finite(tmp_path):
    out = tmp_path / "soak.json"
    argv = ["ntm_tiny", "--seeds", "0", "--sequences", "10"]
    argv += ["--probe-every", "2", "--out", str(out), *TINY]
    soak.main(argv)
    report = json.loads(out.read_text())
    (result,) = report["models"]["ntm_tiny"]["results"]
    # 10 sequences in batches of 4: 3 batches, a probe after the second.
    assert (result["batches"], result["sequences"]) == (3, 12)
    assert result["probes"] == 1
    for key in soak.COUNTS:
        assert result[key] == 0, key
    assert result["first_non_finite_batch"] == {}
    assert math.isfinite(result["final_loss"]) and result["final_loss"] > 0
    assert report["overall"]["zero"] is True
    assert report["overall"]["sequences"] == 12
    assert report["models"]["ntm_tiny"]["compiled"]["jit_compile"] is False


def test_an_injected_nan_is_counted_in_every_batch_and_probe_after_it():
    args = soak.build_parser().parse_args(
        ["ntm_tiny", "--sequences", "16", "--probe-every", "1", *TINY]
    )
    result, model = soak.run_seed(
        "ntm_tiny",
        "copy",
        0,
        args,
        LENGTHS,
        callbacks=[SpoilWeights(after=2)],
    )
    # Batches 3 and 4 (of 4) ran with NaN weights: their losses, gradients
    # and both probes are NaN throughout; batches 1 and 2 are clean.
    assert result["batches"] == 4 and result["probes"] == 4
    assert result["non_finite_losses"] == 2
    assert result["non_finite_gradient_norms"] == 2
    cell = model.get_layer("ntm").cell
    assert result["non_finite_memory_values"] == 2 * 16 * 8
    assert (cell.memory_size, cell.word_size) == (16, 8)
    probe = soak.probe_example(soak.tasks.get("copy", **LENGTHS, seed=0))
    steps = probe[0].shape[1]
    assert result["non_finite_read_weights"] == 2 * steps * 16
    assert result["non_finite_write_weights"] == 2 * steps * 16
    assert result["non_finite_trace_values"] > 2 * (2 * steps + 8) * 16
    assert set(result["first_non_finite_batch"].values()) == {3}
    assert math.isnan(result["final_loss"])
    assert soak.totals([result])["zero"] is False


def test_the_counter_counts_a_nan_loss_and_an_infinite_norm_from_logs():
    counter = soak.NonFiniteCounter(None, 1, total_batches=3)
    counter.record({"loss": 0.5}, np.float32(1.0))
    counter.record({"loss": np.float32("nan")}, np.float32(2.0))
    counter.record({"loss": 0.25}, np.float32("inf"))
    assert counter.counts["non_finite_losses"] == 1
    assert counter.counts["non_finite_gradient_norms"] == 1
    assert counter.first_non_finite == {
        "non_finite_losses": 2,
        "non_finite_gradient_norms": 3,
    }
    # A log without a loss counts as non-finite rather than as clean.
    counter.record({}, None)
    assert counter.counts["non_finite_losses"] == 2
    assert counter.counts["non_finite_gradient_norms"] == 1


def test_count_trace_counts_each_part_of_a_trace():
    trace = {
        "read_weights": np.full((3, 1, 4), 0.25),
        "write_weights": np.full((3, 1, 4), 0.25),
        "memory_after": np.zeros((4, 2)),
        "outputs": np.zeros((3, 2)),
    }
    trace["read_weights"][1, 0, :2] = np.nan
    trace["memory_after"][3, 1] = np.inf
    trace["outputs"][0, 0] = -np.inf
    assert soak.count_trace(trace) == {
        "non_finite_memory_values": 1,
        "non_finite_read_weights": 2,
        "non_finite_write_weights": 0,
        "non_finite_trace_values": 4,
    }


def test_overrides_start_from_the_preset_size_and_take_model_prefixes():
    sets = {"dnc:memory_size": "16", "seed_option": "1", "ntm:word_size": "8"}
    overrides, preset = soak.model_overrides_for("dnc", "copy", sets, True)
    assert preset == "copy"
    assert overrides == {
        "controller_units": "100",
        "memory_size": "16",
        "num_read_heads": "1",
        "word_size": "20",
        "seed_option": "1",
    }
    overrides, preset = soak.model_overrides_for("dnc", "copy", {}, False)
    assert (overrides, preset) == ({}, None)


def test_a_non_finite_guard_among_the_callbacks_is_refused():
    args = soak.build_parser().parse_args(["ntm_tiny", *TINY])
    with pytest.raises(ValueError, match="NonFiniteGuard"):
        soak.run_seed(
            "ntm_tiny",
            "copy",
            0,
            args,
            LENGTHS,
            callbacks=[divergence.NonFiniteGuard()],
        )
