"""Every zoo entry under JAX: build, two `fit` steps on NumPy, save, load.

Run by the JAX pass (`KERAS_BACKEND=jax`, see README.md); skipped under
TensorFlow, whose pass tests the same entries on the tasks' pipelines
(tests/zoo/models/zoo_models_test.py). No task is used: the data are NumPy
arrays shaped by each family's modality, and a small stand-in gives
`zoo.compile_for_task` the task's spec, loss and metrics.
"""

import dataclasses
import json

import keras
import numpy as np
import pytest

import zoo
from ntm_keras import losses, metrics

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason="the JAX pass runs these: KERAS_BACKEND=jax",
)

BATCH_SIZE, TIME = 2, 8
TINY = zoo.list("*_tiny")
# Entries without a `_tiny` twin, fitted at a small size instead.
SMALL = {"ntm_ff": {"memory_size": 8, "word_size": 4, "controller_units": 8}}


@dataclasses.dataclass(frozen=True)
class Spec:
    modality: str
    input_dim: int
    output_dim: int


class NumpyTask:
    """What `compile_for_task` reads of a task: spec, loss and metrics."""

    name = "numpy"

    def __init__(self, modality, input_dim, output_dim):
        self.spec = Spec(modality, input_dim, output_dim)

    def loss(self):
        if self.spec.modality == "bits":
            return losses.SequenceBinaryCrossentropy()
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def metrics(self):
        if self.spec.modality == "bits":
            return [metrics.BitsPerSequence(), metrics.SequenceAccuracy()]
        return [keras.metrics.SparseCategoricalAccuracy()]


def _arrays(model, defaults, rng):
    """Inputs, targets and weights shaped by the model's modality."""
    inputs = {}
    for tensor in model.inputs:
        if tensor.dtype.startswith("int"):
            inputs[tensor.name] = rng.integers(
                0, defaults["input_dim"], (BATCH_SIZE, TIME)
            ).astype("int32")
        else:
            inputs[tensor.name] = (
                rng.random((BATCH_SIZE, TIME, tensor.shape[-1])) < 0.5
            ).astype("float32")
    if defaults["modality"] == "bits":
        targets = (
            rng.random((BATCH_SIZE, TIME, defaults["output_dim"])) < 0.5
        ).astype("float32")
    else:
        targets = rng.integers(
            0, defaults["output_dim"], (BATCH_SIZE, TIME)
        ).astype("int32")
    weights = np.ones((BATCH_SIZE, TIME), "float32")
    if len(inputs) == 1:
        inputs = next(iter(inputs.values()))
    return inputs, targets, weights


@pytest.mark.parametrize("name", TINY + sorted(SMALL))
def test_entry_fits_on_numpy_and_survives_save_and_load(name, tmp_path):
    model = zoo.get(name, **SMALL.get(name, {}))
    defaults = zoo.resolve_config(name, **SMALL.get(name, {}))
    task = NumpyTask(
        defaults["modality"], defaults["input_dim"], defaults["output_dim"]
    )
    # With XLA: op by op, JAX is far slower than one compiled step.
    zoo.compile_for_task(model, task, learning_rate=0.01, jit_compile=True)
    inputs, targets, weights = _arrays(
        model, defaults, np.random.default_rng(0)
    )
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(
        inputs,
        targets,
        sample_weight=weights,
        batch_size=1,
        epochs=1,
        shuffle=False,
        verbose=0,
    )
    assert len(history.history["loss"]) == 1  # 2 steps of batch 1
    assert np.isfinite(history.history["loss"][0])
    after = model.get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(before, after))

    expected = model.predict(inputs, verbose=0)
    assert expected.shape[:2] == (BATCH_SIZE, TIME)
    assert np.all(np.isfinite(expected))
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(
        loaded.predict(inputs, verbose=0), expected, atol=1e-6
    )
    assert _plain(loaded.get_config()) == _plain(model.get_config())


def _plain(config):
    """The config as JSON reads it back (tuples become lists)."""
    return json.loads(json.dumps(config, default=str))


def test_every_entry_builds_and_full_sizes_outgrow_their_tiny_twin():
    for name in zoo.list():
        model = zoo.get(name)
        assert model.name == name
        tiny = f"{name}_tiny"
        if tiny in TINY:
            assert model.count_params() > zoo.get(tiny).count_params(), name
