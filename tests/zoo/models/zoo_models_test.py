"""Every registry entry: finite outputs, one training step, save and load."""

import numpy as np
import pytest

import tasks
import zoo
from testing import run_saving_test

TINY = zoo.list("*_tiny")


def _copy_task():
    return tasks.get("copy", max_length=4, eval_size=32)


@pytest.mark.parametrize("name", TINY)
def test_outputs_are_finite_probabilities(name):
    task = _copy_task()
    model = zoo.get(name, task=task)
    inputs, _, _ = next(iter(task.dataset("validation", 4)))
    outputs = model.predict(inputs, verbose=0)
    assert outputs.shape[:2] == tuple(inputs.shape[:2])
    assert np.all(np.isfinite(outputs))
    assert np.all((outputs >= 0) & (outputs <= 1))


def test_every_full_size_entry_builds_larger_than_its_tiny_size():
    """Full sizes share their factory with the tiny entries tested below."""
    for name in sorted(set(zoo.list()) - set(TINY)):
        model = zoo.get(name)
        assert model.name == name
        family = name.split("_tiny")[0]
        tiny = f"{family}_tiny"
        if tiny in TINY:
            assert model.count_params() > zoo.get(tiny).count_params(), name


def test_every_tiny_entry_trains_one_step_and_survives_save_and_load(
    tmp_path,
):
    """Every family, through its `_tiny` entry: one training step gives a
    finite loss and changes weights; then the saved model reloads in one
    fresh process that imports only ntm_keras (the full sizes run the same
    factories)."""
    task = _copy_task()
    inputs = next(iter(task.dataset("validation", 3)))[0].numpy()
    models = []
    for name in TINY:
        model = zoo.build(name, task, compile_overrides={"jit_compile": False})
        # Eagerly: tracing a train step (with or without XLA) costs 2 to 12
        # seconds per model and tells nothing about saving; the traced and
        # compiled steps are trained in the learning and CLI tests.
        model.run_eagerly = True
        before = [w.copy() for w in model.get_weights()]
        history = model.fit(
            task.dataset("train", 4), steps_per_epoch=1, verbose=0
        )
        assert np.isfinite(history.history["loss"][0]), name
        after = model.get_weights()
        assert any(not np.allclose(a, b) for a, b in zip(before, after)), name
        models.append(model)
    run_saving_test(models, inputs, tmp_path)


@pytest.mark.parametrize("clip_value", [0.5, 20.0])
def test_ntm_factory_passes_the_head_clip_to_its_cell(clip_value):
    model = zoo.get("ntm_tiny", clip_value=clip_value)
    cell = model.get_layer("ntm").cell
    assert cell.get_config()["clip_value"] == clip_value
    # Huge controller outputs: every raw control sits at +-clip_value, so
    # the key strengths (softplus of the raw control) are bounded by it.
    rng = np.random.default_rng(0)
    output = 1e3 * rng.standard_normal((4, cell.controller_units))
    strengths = np.asarray(cell.controls(output.astype("float32"))["strengths"])
    bound = np.log1p(np.exp(clip_value))
    assert strengths.max() <= bound + 1e-5
    assert strengths.max() >= bound - 1e-3


def test_ntm_factory_passes_the_write_forward_bias_to_its_cell():
    model = zoo.get("ntm_tiny", write_forward_bias=2.0)
    cell = model.get_layer("ntm").cell
    assert cell.get_config()["write_forward_bias"] == 2.0
    zero = np.zeros((1, cell.controller_units), "float32")
    gates = np.asarray(cell.controls(zero)["gates"])[0]
    # Head 0 reads, head 1 writes: sigmoid(about -2) against about 0.5.
    assert gates[1] == pytest.approx(1 / (1 + np.exp(2.0)), abs=0.01)
    assert gates[0] == pytest.approx(0.5, abs=0.01)


def test_ntm_factory_passes_the_write_heads_sharpening_floor_on():
    model = zoo.get("ntm_tiny", min_sharpening=2.0, write_min_sharpening=1.0)
    cell = model.get_layer("ntm").cell
    assert cell.get_config()["write_min_sharpening"] == 1.0
    # Huge controller outputs put raw controls at +-20, so each head's
    # least exponent is its floor: head 0 reads (2), head 1 writes (1).
    rng = np.random.default_rng(0)
    output = 1e3 * rng.standard_normal((64, cell.controller_units))
    sharpening = np.asarray(
        cell.controls(output.astype("float32"))["sharpening"]
    )
    np.testing.assert_allclose(sharpening.min(axis=0), [2.0, 1.0], atol=1e-6)


@pytest.mark.parametrize(
    "option, control, floor",
    [
        ("min_sharpening", "sharpening", 1.0),
        ("min_sharpening", "sharpening", 2.5),
        ("min_strength", "strengths", 0.0),
        ("min_strength", "strengths", 1.5),
    ],
)
def test_ntm_strengths_and_exponents_start_at_their_floor(
    option, control, floor
):
    model = zoo.get("ntm_tiny", **{option: floor})
    cell = model.get_layer("ntm").cell
    # Huge controller outputs put raw controls at +-20: the control lies
    # between floor + softplus(-20) (2e-9 above it) and floor + 20.
    rng = np.random.default_rng(0)
    output = 1e3 * rng.standard_normal((64, cell.controller_units))
    values = np.asarray(cell.controls(output.astype("float32"))[control])
    assert values.min() == pytest.approx(floor, abs=1e-6)
    assert values.max() == pytest.approx(floor + 20.0, abs=1e-4)
