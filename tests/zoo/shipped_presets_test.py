"""The presets shipped in `zoo/presets` solve the task they were trained on."""

import numpy as np
import pytest

import tasks
import zoo
from zoo import preset_store

SHIPPED = [
    (name, preset)
    for name in zoo.list()
    for preset in preset_store.list_presets(name)
]


def test_the_ntm_ships_a_copy_preset():
    assert "copy" in zoo.presets("ntm")


@pytest.mark.parametrize(("name", "preset"), SHIPPED)
def test_preset_solves_its_task_on_held_out_sequences(name, preset):
    info = preset_store.preset_info(name, preset)
    task = tasks.get(info["task"]["name"], **info["task"]["options"])
    model = zoo.get(name, preset=preset)
    inputs, targets, mask = next(iter(task.dataset("test", 64)))
    predictions = model.predict(inputs, verbose=0)
    wrong = (predictions > 0.5) != (targets.numpy() > 0.5)
    errors = np.sum(wrong * mask.numpy()[..., None], axis=(1, 2))
    # Learned means <= 0.1 bit errors per sequence (DESIGN.md).
    assert np.mean(errors) <= 0.1


def test_ntm_copy_preset_runs_with_a_bigger_memory():
    model = zoo.get("ntm", preset="copy", memory_size=256)
    task = tasks.get("copy", min_length=30, max_length=30)
    inputs, targets, mask = next(iter(task.dataset("test", 8)))
    predictions = model.predict(inputs, verbose=0)
    assert predictions.shape == targets.shape
    assert np.all(np.isfinite(predictions))


def test_the_dnc_ships_a_copy_preset():
    assert "copy" in zoo.presets("dnc")


def test_dnc_copy_preset_copies_longer_sequences_with_more_slots():
    # Trained with 32 slots on lengths 1-20; 30 vectors need 30 slots, so
    # the preset rebuilt with 64 (`memory_size` at inference) must still
    # copy them with few errors, as a learned algorithm would.
    model = zoo.get("dnc", preset="copy", memory_size=64)
    task = tasks.get("copy", min_length=30, max_length=30)
    inputs, targets, mask = next(iter(task.dataset("test", 16)))
    predictions = model.predict(inputs, verbose=0)
    wrong = (predictions > 0.5) != (targets.numpy() > 0.5)
    errors = np.sum(wrong * mask.numpy()[..., None], axis=(1, 2))
    assert np.mean(errors) <= 1.0
