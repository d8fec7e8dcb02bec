"""The shared parts of the memory-Transformer experiments."""

import keras
import numpy as np
import pytest

import zoo
from testing import load_benchmark

# The scripts import their shared module as a sibling.
experiment = load_benchmark("memory_transformer_experiment")


def test_segment_local_runs_each_window_alone():
    keras.utils.set_random_seed(0)
    inner = zoo.get(
        "transformer_lm_tiny",
        modality="bits",
        input_dim=3,
        output_dim=2,
        dropout=0.0,
    )
    layer = experiment.SegmentLocal(inner, 3)
    inputs = np.random.default_rng(0).normal(size=(2, 7, 3)).astype("float32")
    outputs = keras.ops.convert_to_numpy(layer(inputs))
    assert outputs.shape == (2, 7, 2)
    # Windows [0, 3), [3, 6) and [6, 7): each on its own. The inner model
    # is causal, so the zero padding after step 6 does not reach step 6.
    for start, stop in ((0, 3), (3, 6), (6, 7)):
        expected = keras.ops.convert_to_numpy(inner(inputs[:, start:stop]))
        np.testing.assert_allclose(
            outputs[:, start:stop], expected, rtol=1e-5, atol=1e-6
        )
    # Steps of a later window do not see an earlier one: changing step 0
    # moves the first window only.
    changed = inputs.copy()
    changed[:, 0] += 1.0
    moved = keras.ops.convert_to_numpy(layer(changed))
    assert not np.allclose(moved[:, :3], outputs[:, :3])
    np.testing.assert_allclose(moved[:, 3:], outputs[:, 3:], atol=1e-6)


def test_unknown_model_names_the_option_and_the_choices():
    with pytest.raises(ValueError, match="`--models`.*'lstm'.*ntm_transformer"):
        experiment.check_models("ntm_transformer,lstm", experiment.MODELS)
    with pytest.raises(ValueError, match="`--models`"):
        experiment.check_models(" , ", experiment.MODELS)
    assert experiment.check_models(
        "ntm, transformer_lm", experiment.MODELS
    ) == [
        "ntm",
        "transformer_lm",
    ]


@pytest.mark.parametrize("text", ["", "0,x", "1,-2"])
def test_bad_seeds_name_the_option(text):
    with pytest.raises(ValueError, match="`--seeds`"):
        experiment.check_seeds(text)


@pytest.mark.parametrize("steps, eval_every", [(10, 3), (10, 0), (2, 4)])
def test_an_evaluation_period_that_does_not_divide_the_steps_is_refused(
    steps, eval_every
):
    with pytest.raises(ValueError, match="`--eval-every`.*--steps"):
        experiment.check_schedule(steps, eval_every)


def test_summarise_reports_final_best_and_first_step_under_the_goal():
    curve = [
        {"step": 10, "bit_errors_per_sequence": 3.0},
        {"step": 20, "bit_errors_per_sequence": 0.1},
        {"step": 30, "bit_errors_per_sequence": 0.5},
    ]
    assert experiment.summarise(curve) == {
        "final_bit_errors_per_sequence": 0.5,
        "best_bit_errors_per_sequence": 0.1,
        "first_step_at_most_0.1": 20,
    }
    curve[1]["bit_errors_per_sequence"] = 0.2
    assert experiment.summarise(curve)["first_step_at_most_0.1"] is None
