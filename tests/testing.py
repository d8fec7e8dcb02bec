"""Helpers shared by the tests."""

import importlib
import json
import os
import pathlib
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
# The shared data directory (`../shared/data`), as in conftest.py; for
# module-scoped fixtures, which cannot use the `shared_data` fixture.
SHARED_DATA = REPOSITORY.parent / "shared" / "data"
# 50 English-Spanish pairs written for the tests, in spa.txt's format.
SPA_ENG_PAIRS = REPOSITORY / "tests" / "data" / "spa_eng_pairs.tsv"


def load_benchmark(name):
    """Imports the script `benchmarks/<name>.py` as a module.

    The benchmarks are scripts, not a package: their folder goes on
    `sys.path` (once), so that a script's own imports of its sibling
    modules (e.g. `memory_transformer_experiment`) resolve as they do when
    it runs.
    """
    folder = str(REPOSITORY / "benchmarks")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(name)


def tiny_convergence_run(out, *options, seeds="0", budget=32):
    """`ntm_tiny` on copy through `benchmarks/convergence.py`: the report.

    One evaluation every 32 sequences, without XLA (it would only cost
    compile time here); `options` go on the command line before `--out`.
    """
    load_benchmark("convergence").main(
        [
            "ntm_tiny",
            "--task",
            "copy",
            "--seeds",
            seeds,
            "--budget",
            str(budget),
            "--eval-every",
            "32",
            "--jit-compile",
            "off",
            *options,
            "--out",
            str(out),
        ]
    )
    return json.loads((pathlib.Path(out) / "results.json").read_text())


def read_events(directory):
    """The TensorBoard event files of `directory`, every event kept.

    TensorBoard's reader samples images and tensors by default; the tests
    keep them all, so that the last one is the last one written.
    """
    accumulator = event_accumulator.EventAccumulator(
        str(directory),
        size_guidance={
            event_accumulator.TENSORS: 0,
            event_accumulator.IMAGES: 0,
        },
    )
    accumulator.Reload()
    return accumulator


def event_tags(directory):
    """The set of scalar, tensor and image tags in `directory`'s events."""
    tags = read_events(directory).Tags()
    return set(tags["scalars"]) | set(tags["tensors"]) | set(tags["images"])


# Tests that differentiate or trace with TensorFlow itself (`tf.GradientTape`,
# `tf.function`) rather than through `keras.ops`; the JAX pass skips them.
tensorflow_only = pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
    reason="uses TensorFlow itself (tf.GradientTape or tf.function)",
)

# Loads each saved model with nothing but `import ntm_keras`, and compares its
# predictions and config with those recorded at save time.
_LOAD_SCRIPT = """
import json, sys
import numpy as np
import keras
import ntm_keras
results = {}
for entry in json.loads(sys.argv[1]):
    model = keras.models.load_model(entry["path"], safe_mode=True)
    data = np.load(entry["arrays"])
    # Called eagerly: `predict` would trace each model, seconds apiece.
    predictions = keras.ops.convert_to_numpy(model(data["inputs"]))
    results[entry["path"]] = {
        "max_difference": float(np.max(np.abs(predictions - data["expected"]))),
        "config": json.loads(json.dumps(model.get_config(), default=str)),
    }
print("RESULTS=" + json.dumps(results))
"""


def clean_environment():
    """Returns the environment for subprocesses: the tests' backend, quiet."""
    environment = dict(os.environ)
    environment.setdefault("KERAS_BACKEND", "tensorflow")
    environment["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return environment


def load_in_fresh_process(entries):
    """Loads saved models in a new Python that imports only `ntm_keras`.

    Args:
        entries: list of dicts with `path` (a `.keras` file) and `arrays`
            (an `.npz` with `inputs` and `expected`).

    Returns:
        dict from path to `{"max_difference", "config"}`.
    """
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_SCRIPT, json.dumps(entries)],
        capture_output=True,
        text=True,
        env=clean_environment(),
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = [x for x in result.stdout.splitlines() if x.startswith("RESULTS=")]
    return json.loads(line[-1].removeprefix("RESULTS="))


def run_saving_test(models, inputs, directory):
    """Saves each of `models`, reloads them in one fresh process, compares.

    Checks that each reloaded model has the same config and predictions
    within 1e-6, with only `import ntm_keras` and safe mode.

    Args:
        models: a list of `keras.Model`s (distinct names), which all take
            `inputs`.
        inputs: array, the models' input.
        directory: where the `.keras` and `.npz` files go.
    """
    entries, configs = [], {}
    for model in models:
        path = pathlib.Path(directory) / f"{model.name}.keras"
        arrays = pathlib.Path(directory) / f"{model.name}.npz"
        # Called eagerly, as the fresh process does: `predict` traces.
        expected = keras.ops.convert_to_numpy(model(inputs))
        model.save(path)
        np.savez(arrays, inputs=inputs, expected=expected)
        entries.append({"path": str(path), "arrays": str(arrays)})
        configs[str(path)] = model.get_config()
    loaded = load_in_fresh_process(entries)
    assert sorted(loaded) == sorted(configs)
    for path, config in configs.items():
        assert loaded[path]["max_difference"] <= 1e-6, path
        original = json.loads(json.dumps(config, default=str))
        assert loaded[path]["config"] == original, path


def run_cli(*arguments, cwd=None, timeout=600):
    """Runs `python -m zoo.cli ARGUMENTS` and returns the completed process."""
    return subprocess.run(
        [sys.executable, "-m", "zoo.cli", *map(str, arguments)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_environment(),
        timeout=timeout,
    )


def run_main(*arguments):
    """Runs `zoo.cli.main(ARGUMENTS)` in this process, like `run_cli`.

    Much faster than a subprocess (no second TensorFlow import), and usable
    in module-scoped fixtures: it captures `sys.stdout` and `sys.stderr`
    itself.

    Returns:
        An object with `returncode`, `stdout` and `stderr`, as `run_cli`.
    """
    import contextlib
    import io
    import types

    from zoo import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main([str(argument) for argument in arguments])
        except SystemExit as exit:  # argparse's own errors
            code = exit.code
    return types.SimpleNamespace(
        returncode=code or 0, stdout=out.getvalue(), stderr=err.getvalue()
    )


def run_layer_test(
    cls,
    init_kwargs,
    input_shape,
    expected_output_shape,
    *,
    expected_num_trainable_weights=None,
    expected_num_non_trainable_weights=0,
    input_dtype="float32",
):
    """Checks the basic contract of a single-input layer.

    Config round trip (JSON-equal), weight counts after `build`, symbolic
    output shape, an eager call, and one `fit` step inside a model that
    changes the layer's weights and gives a finite loss.

    Args:
        cls: the layer class.
        init_kwargs: dict. Constructor arguments.
        input_shape: tuple. Full input shape, batch included.
        expected_output_shape: tuple. Full output shape.
        expected_num_trainable_weights: optional int.
        expected_num_non_trainable_weights: int.
        input_dtype: str. `"int32"` for token ids.

    Returns:
        The built layer.
    """
    import keras

    layer = cls(**init_kwargs)
    config = layer.get_config()
    restored = cls.from_config(config)
    assert json.dumps(restored.get_config(), sort_keys=True, default=str) == (
        json.dumps(config, sort_keys=True, default=str)
    )
    symbolic = keras.Input(batch_shape=input_shape, dtype=input_dtype)
    output = layer(symbolic)
    assert tuple(output.shape) == tuple(expected_output_shape)
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights
    assert len(layer.non_trainable_weights) == (
        expected_num_non_trainable_weights
    )
    rng = np.random.default_rng(0)
    if input_dtype.startswith("int"):
        data = rng.integers(0, 5, size=input_shape).astype(input_dtype)
    else:
        data = rng.standard_normal(input_shape).astype(input_dtype)
    eager = keras.ops.convert_to_numpy(layer(data))
    assert eager.shape == tuple(expected_output_shape)
    assert np.all(np.isfinite(eager))
    model = keras.Model(symbolic, output)
    model.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(data, np.ones_like(eager), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    if layer.trainable_weights:
        after = model.get_weights()
        assert any(not np.allclose(a, b) for a, b in zip(before, after))
    return layer


def task_batches(task, split, batch_size, count, **kwargs):
    """Returns `count` batches of a task's split as tuples of NumPy arrays."""
    dataset = task.dataset(split, batch_size, **kwargs).take(count)
    return [tuple(part.numpy() for part in batch) for batch in dataset]


def learn_briefly(task, steps, *, units=64, learning_rate=0.01, seed=0):
    """Trains `lstm_tiny` on a task for `steps` batches of 32.

    The weights start from `seed`, so that the result does not depend on
    which tests ran before in the same process.

    Returns:
        The `test` split's metrics as a dict, after training.
    """
    import keras

    import zoo

    keras.utils.set_random_seed(seed)
    model = zoo.get("lstm_tiny", task=task, units=units)
    zoo.compile_for_task(model, task, learning_rate=learning_rate)
    model.fit(task.dataset("train", 32), steps_per_epoch=steps, verbose=0)
    return model.evaluate(task.dataset("test", 32), return_dict=True, verbose=0)


def spa_eng_data_dir(directory):
    """Lays out the test pairs as a data directory for the spa_eng task.

    Returns:
        pathlib.Path `directory`, holding `spa_eng/spa-eng/spa.txt`.
    """
    folder = pathlib.Path(directory) / "spa_eng" / "spa-eng"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SPA_ENG_PAIRS, folder / "spa.txt")
    return pathlib.Path(directory)


def save_with_old_config_key(model, path, new_key, old_key):
    """Saves `model` to `path` as a `.keras` file whose config says `old_key`.

    Rewrites `config.json` inside the archive, as a file saved before the
    argument `old_key` was renamed to `new_key` would have it.
    """
    import zipfile

    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = members["config.json"].decode()
    assert f'"{new_key}"' in config
    members["config.json"] = config.replace(
        f'"{new_key}"', f'"{old_key}"'
    ).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path
