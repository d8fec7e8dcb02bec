"""benchmarks/throughput.py under JAX where `import tensorflow` fails."""

import json
import subprocess
import sys

import keras
import pytest

from testing import REPOSITORY, clean_environment, load_benchmark

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason="the JAX pass runs these: KERAS_BACKEND=jax",
)

# Makes every TensorFlow package unimportable, as on a machine with JAX
# only, then runs the benchmark as `python benchmarks/throughput.py ...`.
_SCRIPT = """
import runpy, sys

BLOCKED = ("tensorflow", "tensorflow_datasets", "tensorflow_text", "tf_keras")

class Block:
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError("blocked: " + name)

sys.meta_path.insert(0, Block())
sys.argv = ["benchmarks/throughput.py"] + sys.argv[1:]
try:
    runpy.run_path("benchmarks/throughput.py", run_name="__main__")
finally:
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    print("TENSORFLOW_MODULES=" + ",".join(loaded))
"""


def _run(*arguments):
    environment = clean_environment()
    environment["KERAS_BACKEND"] = "jax"
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT, *arguments],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_copy_on_numpy_runs_and_prints_its_json_without_tensorflow():
    result = _run(
        "lstm_tiny",
        "--batch-size",
        "4",
        "--set",
        "max_length=3",
        "--set",
        "units=8",
        "--warmup-steps",
        "2",
        "--window-steps",
        "2",
        "--windows",
        "2",
        "--jit-compile",
        "on",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    output, marker = result.stdout.rsplit("TENSORFLOW_MODULES=", 1)
    assert marker.strip() == ""
    report = json.loads(output[output.index("{") :])
    (row,) = report["results"]
    assert row["backend"] == "jax"
    assert row["data"] == "numpy"
    assert row["model"] == "lstm_tiny"
    assert row["batch_size"] == 4
    assert len(row["train_windows"]) == 2
    assert row["jit_compile"] is True
    assert row["time_bucket"] == 8  # with XLA: T = 7 padded to 8
    assert row["train_sequences_per_second"] > 0
    assert row["pipeline_sequences_per_second"] > 0
    # input_dim 9, 8 units, output 8: LSTM 4 * 8 * (9 + 8 + 1), Dense 8 * 9.
    assert row["parameters"] == 4 * 8 * (9 + 8 + 1) + 8 * 9


def test_the_pipeline_without_tensorflow_is_refused_with_the_fix():
    result = _run("lstm_tiny", "--data", "pipeline")
    assert result.returncode != 0
    assert "--data numpy" in result.stderr


def test_training_option_defaults_without_tensorflow_match_ntm_keras_train():
    """The benchmark's own copy of the defaults, for machines without TF."""
    from zoo import training

    throughput = load_benchmark("throughput")
    for name, (_, default) in throughput.TRAINING_OPTIONS.items():
        assert training.TRAINING_DEFAULTS[name] == default, name
    assert throughput.DEFAULT_TIME_BUCKET == training.DEFAULT_TIME_BUCKET
