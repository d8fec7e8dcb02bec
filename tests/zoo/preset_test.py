"""Presets: a run's weights shipped with the package and loaded by name."""

import dataclasses

import numpy as np
import pytest

import tasks
import zoo
from testing import run_cli
from zoo import preset_store, registry


@pytest.fixture
def preset_dir(tmp_path, monkeypatch):
    # No shipped presets, and the user's in a temporary directory.
    monkeypatch.setattr(preset_store, "PRESET_DIR", tmp_path / "shipped")
    monkeypatch.setenv(
        preset_store.ENVIRONMENT_VARIABLE, str(tmp_path / "presets")
    )
    return tmp_path / "presets"


def test_a_run_exported_as_preset_loads_with_the_same_predictions(
    tmp_path, preset_dir, monkeypatch
):
    result = run_cli(
        "train",
        "lstm_tiny",
        "--task",
        "copy",
        "--steps-per-epoch",
        3,
        "--epochs",
        1,
        "--batch-size",
        4,
        "--set",
        "units=12",
        "--set",
        "max_length=3",
        "--set",
        "eval_size=8",
        "--log-dir",
        tmp_path / "runs",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    from zoo.inference import export_preset
    from zoo.training import checkpointing

    export_preset.export_preset(run_dir, "copy")
    assert zoo.presets("lstm_tiny") == ["copy"]
    info = preset_store.preset_info("lstm_tiny", "copy")
    assert info["overrides"] == {"units": 12}
    assert info["options"]["units"] == 12
    assert info["options"]["num_layers"] == 1
    assert info["task"]["name"] == "copy"
    model = zoo.get("lstm_tiny", preset="copy")
    trained = checkpointing.load_checkpoint(run_dir, "best")
    inputs = next(iter(tasks.get("copy").dataset("test", 2)))[0]
    np.testing.assert_allclose(
        model.predict(inputs, verbose=0),
        trained.predict(inputs, verbose=0),
        atol=1e-6,
    )
    # A default that changes after the export does not change the preset.
    spec = registry.describe("lstm_tiny")
    changed = dataclasses.replace(
        spec, defaults={**spec.defaults, "num_layers": 2}
    )
    monkeypatch.setitem(registry._MODELS, "lstm_tiny", changed)
    assert zoo.get("lstm_tiny").count_params() != model.count_params()
    again = zoo.get("lstm_tiny", preset="copy")
    np.testing.assert_allclose(
        again.predict(inputs, verbose=0),
        trained.predict(inputs, verbose=0),
        atol=1e-6,
    )


def test_unknown_preset_lists_the_available_ones(preset_dir):
    with pytest.raises(ValueError, match=r"Unknown preset 'cpy'.*\[\]"):
        zoo.get("lstm_tiny", preset="cpy")


def test_bad_preset_name_is_refused(preset_dir):
    with pytest.raises(ValueError, match="`preset`"):
        preset_store.save_preset(
            zoo.get("lstm_tiny"), "lstm_tiny", "Copy Task", {"overrides": {}}
        )
