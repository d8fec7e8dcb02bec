import numpy as np
import pytest

import tasks
import zoo
from ntm_keras import inspect
from zoo.tensorboard.writer import figure_to_png


def _ntm_and_probe():
    task = tasks.get("copy", max_length=4, eval_size=32)
    model = zoo.get("ntm_tiny", task=task)
    inputs, targets, _ = next(iter(task.dataset("test", 2)))
    return model, inputs.numpy(), targets.numpy()


def test_memory_trace_shapes_and_distributions():
    model, inputs, _ = _ntm_and_probe()
    trace = inspect.memory_trace(model, inputs)
    time = inputs.shape[1]
    assert trace["read_weights"].shape == (time, 1, 16)
    assert trace["write_weights"].shape == (time, 1, 16)
    assert (
        trace["memory_before"].shape == trace["memory_after"].shape == (16, 8)
    )
    np.testing.assert_allclose(trace["read_weights"].sum(-1), 1, atol=1e-5)
    np.testing.assert_allclose(
        trace["outputs"], model.predict(inputs[:1], verbose=0)[0], atol=1e-5
    )


def test_trace_summary_reports_finite_scalars():
    model, inputs, _ = _ntm_and_probe()
    summary = inspect.trace_summary(inspect.memory_trace(model, inputs))
    assert summary["memory_nonfinite_count"] == 0.0
    assert 0.0 <= summary["memory_mean_gate"] <= 1.0
    assert summary["memory_mean_sharpening"] >= 1.0
    assert 0.0 <= summary["memory_read_entropy"] <= np.log(16) + 1e-6


def test_weighting_entropy_of_one_hot_and_uniform():
    assert inspect.weighting_entropy(np.eye(4)[:1]) == pytest.approx(
        0.0, abs=1e-9
    )
    assert inspect.weighting_entropy(np.full((1, 4), 0.25)) == pytest.approx(
        np.log(4)
    )
    rows = np.stack([np.eye(4)[0], np.full(4, 0.25), [0.5, 0.5, 0, 0]])
    np.testing.assert_allclose(
        inspect.weighting_entropies(rows), [0, np.log(4), np.log(2)], atol=1e-9
    )
    assert inspect.weighting_entropy(rows) == pytest.approx(np.log(8) / 3)


def test_stepping_the_cell_over_a_batch_matches_the_model():
    model, inputs, _ = _ntm_and_probe()
    steps = list(inspect.step_memory_cell(model, inputs, num_steps=3))
    assert len(steps) == 3
    assert steps[0]["read_weights"].shape == (2, 1, 16)
    # Each step starts from the memory the step before left.
    np.testing.assert_allclose(steps[1]["memory_before"], steps[0]["memory"])
    np.testing.assert_allclose(steps[0]["memory_before"], 1e-6)
    # The whole batch is stepped: the second sequence's trace is its own.
    second = inspect.memory_trace(model, inputs[1:])
    np.testing.assert_allclose(
        np.asarray(steps[2]["write_weights"])[1],
        second["write_weights"][2],
        atol=1e-6,
    )


def test_plot_draws_a_png():
    model, inputs, targets = _ntm_and_probe()
    trace = inspect.memory_trace(model, inputs)
    png = figure_to_png(inspect.plot_memory_trace(trace, inputs[0], targets[0]))
    assert png.startswith(b"\x89PNG")


def test_a_model_without_memory_cannot_be_traced():
    model = zoo.get("lstm_tiny")
    assert inspect.find_memory_layer(model) is None
    with pytest.raises(ValueError, match="memory cell"):
        inspect.memory_trace(model, np.zeros((1, 3, 9), "float32"))


def test_words_view_keeps_the_words_of_the_story_and_scored_answers():
    # Vocabulary of 6; the story uses ids 4, 2, 4; the scored answer is 5;
    # the unscored target 1 is left out.
    logits = np.log(np.array([[1, 1, 2, 1, 4, 1], [2, 1, 1, 1, 1, 4.0]]))
    trace = {"outputs": logits, "read_weights": np.ones((2, 1, 3))}
    view, inputs, targets, words = inspect.words_view(
        trace, np.array([4, 2]), np.array([1, 5]), np.array([0, 1])
    )
    assert words.tolist() == [2, 4, 5]
    np.testing.assert_array_equal(inputs, [[0, 1, 0], [1, 0, 0]])
    np.testing.assert_array_equal(targets, [[0, 0, 0], [0, 0, 1]])
    # Softmax over the whole vocabulary, then the three columns.
    np.testing.assert_allclose(
        view["outputs"], [[2 / 10, 4 / 10, 1 / 10], [1 / 10, 1 / 10, 4 / 10]]
    )
    assert view["read_weights"] is trace["read_weights"]
    assert trace["outputs"] is logits  # the given trace is not changed


def test_words_view_without_targets_and_bad_inputs():
    trace = {"outputs": np.zeros((3, 4))}
    _, inputs, targets, words = inspect.words_view(trace, np.array([3, 3, 0]))
    assert words.tolist() == [0, 3] and targets is None
    assert inputs.shape == (3, 2)
    with pytest.raises(ValueError, match=r"`inputs`.*\(time,\).*\(3, 1\)"):
        inspect.words_view(trace, np.zeros((3, 1)))


def test_input_steps_of_bits_and_of_padded_token_ids():
    inputs = np.zeros((2, 3, 4))
    inputs[0, :2, 1] = 1.0
    inputs[1, 0, 3] = 1.0
    np.testing.assert_array_equal(
        inspect.input_steps(inputs), [[1, 1, 0], [1, 0, 0]]
    )
    np.testing.assert_array_equal(
        inspect.input_steps(np.array([[4, 2, 0], [0, 0, 0]])),
        [[1, 1, 0], [0, 0, 0]],
    )
