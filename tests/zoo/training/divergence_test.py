"""The guard that stops training at the first non-finite loss or gradient."""

import json
import math

import keras
import numpy as np
import pytest

import tasks
import zoo
from zoo.training import checkpointing, run_files
from zoo.training.divergence import NonFiniteGuard, non_finite_value


@pytest.fixture
def model():
    task = tasks.get("copy", max_length=3)
    model = zoo.get("lstm_tiny", task=task, units=4)
    model.optimizer.build(model.trainable_variables)
    return model


def _guard(model):
    guard = NonFiniteGuard()
    guard.set_model(model)
    model.stop_training = False
    guard.on_epoch_begin(2)
    return guard


@pytest.mark.parametrize(
    "value, expected",
    [
        (math.nan, "nan"),
        (np.float32("inf"), "inf"),
        (np.array(-math.inf), "-inf"),
        (1.5, None),
        (np.float64(0.0), None),
        (None, None),
        ("abc", None),
    ],
)
def test_non_finite_value_names_nan_and_infinities(value, expected):
    assert non_finite_value(value) == expected


def test_finite_steps_pass(model):
    guard = _guard(model)
    guard.on_train_batch_end(0, {"loss": 1.5})
    assert guard.report is None and not model.stop_training
    assert guard.error() is None


@pytest.mark.parametrize("loss", [math.nan, math.inf])
def test_a_non_finite_loss_stops_and_is_named(model, loss):
    guard = _guard(model)
    guard.on_train_batch_end(0, {"loss": 1.0})
    guard.on_train_batch_end(4, {"loss": loss})
    assert model.stop_training
    assert guard.report == {
        "epoch": 3,
        "batch": 5,
        "tensor": "loss",
        "value": str(loss),
    }
    assert "the loss was " + str(loss) in str(guard.error())


def test_a_non_finite_gradient_norm_is_named(model):
    guard = _guard(model)
    model.optimizer.gradient_norm.assign(math.inf)
    guard.on_train_batch_end(0, {"loss": 2.0})
    assert guard.report["tensor"] == "gradient norm"
    assert "the gradient norm was inf at epoch 3, batch 1" in str(guard.error())


def test_a_nan_epoch_never_becomes_the_best_or_last_checkpoint(model, tmp_path):
    callback = checkpointing.RunCheckpoint(tmp_path)
    callback.set_model(model)
    callback.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0})
    for logs in (
        {"loss": math.nan, "val_loss": 1.0},
        {"loss": 1.0, "val_loss": math.nan},
        {"loss": 0.5, "val_loss": -math.inf},
    ):
        callback.on_epoch_end(1, logs)
    state = run_files.read_json(tmp_path / checkpointing.LAST_FILE)
    assert state["epoch"] == 1 and callback.best["epoch"] == 1
    assert not (tmp_path / "epoch-00002.keras").exists()


def test_a_stopped_run_saves_no_checkpoint_even_with_finite_logs(
    model, tmp_path
):
    guard = _guard(model)
    guard.on_train_batch_end(0, {"loss": math.nan})
    callback = checkpointing.RunCheckpoint(tmp_path, guard=guard)
    callback.set_model(model)
    callback.on_epoch_end(0, {"loss": 1.0, "val_loss": 1.0})
    assert not tmp_path.joinpath(checkpointing.LAST_FILE).exists()


def test_json_files_hold_null_for_non_finite_numbers(tmp_path):
    path = tmp_path / "metrics.json"
    run_files.write_json(
        path,
        {
            "loss": math.nan,
            "rows": [math.inf, -math.inf, 1.5],
            "numpy": keras.ops.convert_to_numpy(keras.ops.array(math.nan)),
            "path": tmp_path,
        },
    )
    assert json.loads(path.read_text()) == {
        "loss": None,
        "rows": [None, None, 1.5],
        "numpy": None,
        "path": str(tmp_path),
    }
