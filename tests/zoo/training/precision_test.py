"""Mixed precision: dtype policies, float32 memory, loss scaling, saving."""

import keras
import numpy as np
import pytest

import tasks
import zoo
from zoo.tensorboard.gradient_norm import GradientNormLogger
from zoo.training import precision


def test_precision_scope_sets_the_policy_and_restores_it():
    with precision.precision_scope("mixed_bfloat16"):
        inner = keras.layers.Dense(2)
    assert inner.dtype_policy.name == "mixed_bfloat16"
    assert keras.config.dtype_policy().name == "float32"
    with pytest.raises(ValueError, match="Invalid `precision`"):
        with precision.precision_scope("half"):
            pass


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_a_mixed_ntm_keeps_its_memory_float32_trains_and_round_trips(
    policy, tmp_path
):
    task = tasks.get("copy", max_length=2, eval_size=4)
    with precision.precision_scope(policy):
        # Without XLA: compiling costs seconds and tells nothing here.
        model = zoo.build(
            "ntm_tiny", task, compile_overrides={"jit_compile": False}
        )
    cell = model.get_layer("ntm").cell
    assert cell.dtype_policy.name == "float32"
    assert model.layers[-1].dtype_policy.name == policy
    scaled = policy == "mixed_float16"
    # Keras scales the loss for float16 only, around the project's Adam.
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer) == (
        scaled
    )
    logger = GradientNormLogger()
    history = model.fit(
        task.dataset("train", 4).take(2), callbacks=[logger], verbose=0
    )
    assert np.isfinite(history.history["loss"][0])
    assert history.history["gradient_norm"][0] > 0
    inputs = next(iter(task.dataset("validation", 4)))[0]
    path = tmp_path / "mixed.keras"
    model.save(path)
    # Loaded under the policy, as `resume` does, so that the optimizer is
    # wrapped as it was saved and its state comes back.
    with precision.precision_scope(policy):
        loaded = keras.models.load_model(path)
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.get_layer("ntm").cell.dtype_policy.name == "float32"
    assert loaded.layers[-1].dtype_policy.name == policy
    np.testing.assert_allclose(
        loaded.predict(inputs, verbose=0),
        model.predict(inputs, verbose=0),
        atol=1e-6,
    )


def test_an_explicit_cell_dtype_wins_over_the_float32_default():
    from ntm_keras import memory

    with precision.precision_scope("mixed_bfloat16"):
        chosen = memory.NTMCell(memory_size=4, word_size=2, dtype="bfloat16")
        default = memory.DNCCell(memory_size=4, word_size=2)
    assert chosen.dtype_policy.name == "bfloat16"
    assert default.dtype_policy.name == "float32"
