"""NTMCell: one step against NumPy, inside RNN, saving, resizing, errors."""

import keras
import numpy as np
import pytest

from ntm_keras.memory import NTMCell, reset_state
from testing import run_saving_test, save_with_old_config_key

SMALL = dict(
    controller_units=6,
    memory_size=5,
    word_size=4,
    num_read_heads=1,
    num_write_heads=1,
    shift_range=3,
)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _numpy_step(cell, x, states):
    """One NTM step written out with NumPy, from the paper's equations."""
    weights = {
        w.path.split("/", 1)[-1]: w.numpy().astype(np.float64)
        for w in cell.weights
    }
    n, w, eps = cell.memory_size, cell.word_size, 1e-6
    memory = states[0].reshape(-1, n, w)
    reads, read_w, write_w, h, c = states[1:]
    previous = np.stack([read_w, write_w], axis=1)  # (B, 2, N)
    z = (
        np.concatenate([x, reads], -1) @ weights["controller_0/kernel"]
        + h @ weights["controller_0/recurrent_kernel"]
        + weights["controller_0/bias"]
    )
    i, f, g, o = np.split(z, 4, axis=-1)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    h = _sigmoid(o) * np.tanh(c)
    raw = np.clip(
        h @ weights["head_projection/kernel"] + weights["head_projection/bias"],
        -20,
        20,
    )
    heads, s = 2, cell.shift_range
    sizes = [heads * w, heads, heads, heads * s, heads, w, w]
    keys, beta, gate, shift, gamma, erase, add = np.split(
        raw, np.cumsum(sizes)[:-1], axis=-1
    )
    keys = np.tanh(keys.reshape(-1, heads, w))
    add = np.tanh(add)
    beta, gate = _softplus(beta), _sigmoid(gate)
    shift = _softmax(shift.reshape(-1, heads, s))
    gamma = 1 + _softplus(gamma)
    new_weights = np.zeros_like(previous)
    for b in range(x.shape[0]):
        for head in range(heads):
            k = keys[b, head]
            similarity = np.array(
                [
                    k @ row / (np.sqrt(k @ k + eps) * np.sqrt(row @ row + eps))
                    for row in memory[b]
                ]
            )
            content = _softmax(beta[b, head] * similarity)
            gated = (
                gate[b, head] * content
                + (1 - gate[b, head]) * previous[b, head]
            )
            shifted = np.array(
                [
                    sum(
                        gated[(i - (j - 1)) % n] * shift[b, head, j]
                        for j in range(s)
                    )
                    for i in range(n)
                ]
            )
            powered = (shifted + eps) ** gamma[b, head]
            new_weights[b, head] = powered / powered.sum()
    read_vector = np.einsum("bn,bnw->bw", new_weights[:, 0], memory)
    ww = new_weights[:, 1]
    new_memory = memory * (1 - ww[:, :, None] * _sigmoid(erase)[:, None, :])
    new_memory = new_memory + ww[:, :, None] * add[:, None, :]
    output = np.concatenate([h, read_vector], -1)
    return output, [
        new_memory.reshape(-1, n * w),
        read_vector,
        new_weights[:, 0],
        new_weights[:, 1],
        h,
        c,
    ]


def test_one_step_matches_the_equations_written_in_numpy():
    keras.utils.set_random_seed(3)
    cell = NTMCell(**SMALL)
    cell.build((2, 3))
    rng = np.random.default_rng(1)
    for variable in cell.weights:  # nonzero everywhere, to exercise it all
        variable.assign(rng.normal(0, 0.5, variable.shape))
    x = rng.normal(size=(2, 3)).astype("float32")
    states = [
        keras.ops.convert_to_numpy(s)
        for s in cell.get_initial_state(batch_size=2)
    ]
    states[0] = rng.normal(size=states[0].shape).astype("float32")
    output, new_states = cell(x, states)
    expected_output, expected_states = _numpy_step(
        cell, x.astype(np.float64), [s.astype(np.float64) for s in states]
    )
    np.testing.assert_allclose(output, expected_output, atol=1e-5)
    for got, expected in zip(new_states, expected_states):
        np.testing.assert_allclose(got, expected, atol=1e-5)


def test_initial_state_is_a_constant_memory_focused_on_slot_zero():
    cell = NTMCell(**SMALL)
    cell.build((None, 3))
    states = [
        keras.ops.convert_to_numpy(s)
        for s in cell.get_initial_state(batch_size=2)
    ]
    assert [s.shape[1] for s in states] == cell.state_size
    assert len(cell.state_names) == len(cell.state_size)
    np.testing.assert_allclose(states[0], 1e-6)
    read_weights = states[2]
    np.testing.assert_allclose(read_weights.sum(-1), 1.0, atol=1e-6)
    assert read_weights[0].argmax() == 0


def test_inside_rnn_with_sequences_and_states():
    cell = NTMCell(**SMALL)
    layer = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    outputs = layer(np.ones((2, 7, 3), "float32"))
    assert tuple(outputs[0].shape) == (2, 7, cell.output_size)
    assert [tuple(s.shape) for s in outputs[1:]] == [
        (2, size) for size in cell.state_size
    ]


def test_masked_steps_keep_the_state():
    cell = NTMCell(**SMALL)
    inputs = keras.Input((None, 3))
    masked = keras.layers.Masking(0.0)(inputs)
    outputs = keras.layers.RNN(cell, return_state=True)(masked)
    model = keras.Model(inputs, outputs)
    data = np.random.default_rng(0).normal(size=(1, 4, 3)).astype("float32")
    padded = np.concatenate([data, np.zeros((1, 3, 3), "float32")], axis=1)
    short, long = model(data), model(padded)
    for a, b in zip(short, long):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_stateful_rnn_continues_where_it_stopped():
    data = np.random.default_rng(0).normal(size=(2, 6, 3)).astype("float32")
    cell = NTMCell(**SMALL)
    whole = keras.layers.RNN(cell, return_sequences=True)
    expected = keras.ops.convert_to_numpy(whole(data))
    stateful = keras.layers.RNN(
        NTMCell(**SMALL), return_sequences=True, stateful=True
    )
    stateful.build((2, None, 3))
    stateful.set_weights(whole.get_weights())
    reset_state(stateful)  # the stored initial state reads the new weights
    first = stateful(data[:, :3])
    second = stateful(data[:, 3:])
    np.testing.assert_allclose(
        np.concatenate([first, second], axis=1), expected, atol=1e-5
    )


def test_reset_state_restores_the_initial_state_not_zeros():
    layer = keras.layers.RNN(NTMCell(**SMALL), stateful=True)
    layer.build((2, None, 3))
    layer(np.ones((2, 4, 3), "float32"))
    reset_state(layer)
    memory = keras.ops.convert_to_numpy(layer.states[0])
    np.testing.assert_allclose(memory, 1e-6)
    with pytest.raises(ValueError, match="stateful=True"):
        reset_state(keras.layers.RNN(NTMCell(**SMALL)))


def test_config_round_trip_is_json_equal():
    cell = NTMCell(
        memory_init="random",
        seed=4,
        controller="feedforward",
        controller_layers=2,
        min_sharpening=2.0,
        min_strength=1.0,
        write_forward_bias=2.0,
        write_min_sharpening=1.5,
        **SMALL,
    )
    restored = NTMCell.from_config(cell.get_config())
    assert restored.get_config() == cell.get_config()


def test_models_save_and_load_with_identical_predictions(tmp_path):
    """Both controllers with a constant and a learned memory, reloaded in
    one fresh process (a random memory differs per call: not compared)."""
    models = []
    for memory_init in ("constant", "learned"):
        for controller in ("lstm", "feedforward"):
            inputs = keras.Input((None, 3))
            cell = NTMCell(
                memory_init=memory_init, controller=controller, seed=1, **SMALL
            )
            hidden = keras.layers.RNN(cell, return_sequences=True)(inputs)
            models.append(
                keras.Model(
                    inputs,
                    keras.layers.Dense(2)(hidden),
                    name=f"ntm_{memory_init}_{controller}",
                )
            )
    data = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    run_saving_test(models, data, tmp_path)


def test_keras_file_saved_with_the_old_units_key_loads(tmp_path):
    inputs = keras.Input((None, 3))
    hidden = keras.layers.RNN(NTMCell(**SMALL), return_sequences=True)(inputs)
    model = keras.Model(inputs, hidden)
    path = save_with_old_config_key(
        model, tmp_path / "old.keras", "controller_units", "units"
    )
    restored = keras.models.load_model(path)
    cell = restored.layers[-1].cell
    assert cell.controller_units == SMALL["controller_units"]
    data = np.random.default_rng(1).normal(size=(2, 4, 3)).astype("float32")
    np.testing.assert_allclose(
        restored.predict(data, verbose=0), model.predict(data, verbose=0)
    )


def test_weights_do_not_depend_on_memory_size():
    small = keras.layers.RNN(NTMCell(**SMALL))
    small.build((1, None, 3))
    larger = keras.layers.RNN(NTMCell(**dict(SMALL, memory_size=50)))
    larger.build((1, None, 3))
    larger.set_weights(small.get_weights())
    output = larger(np.ones((1, 40, 3), "float32"))
    assert np.all(np.isfinite(output))


def test_trace_reports_weightings_that_sum_to_one():
    cell = NTMCell(**SMALL)
    cell.build((2, 3))
    states = cell.get_initial_state(batch_size=2)
    _, _, trace = cell.step(np.ones((2, 3), "float32"), states)
    for key in ("read_weights", "write_weights"):
        np.testing.assert_allclose(np.sum(trace[key], axis=-1), 1.0, atol=1e-5)
    assert np.all(np.asarray(trace["sharpening"]) >= 1.0)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"memory_size": 0}, ValueError, "memory_size"),
        ({"word_size": -1}, ValueError, "word_size"),
        ({"controller_units": 2.5}, TypeError, "controller_units"),
        ({"shift_range": 2}, ValueError, "shift_range"),
        ({"shift_range": 7, "memory_size": 5}, ValueError, "shift_range"),
        ({"controller": "gru"}, ValueError, "controller"),
        ({"memory_init": "zeros"}, ValueError, "memory_init"),
        ({"initialization": "he"}, ValueError, "initialization"),
        ({"min_sharpening": 0.5}, ValueError, "min_sharpening"),
        ({"min_sharpening": float("nan")}, ValueError, "min_sharpening"),
        ({"min_sharpening": "2"}, TypeError, "min_sharpening"),
        ({"min_strength": -0.5}, ValueError, "min_strength"),
        ({"min_strength": float("inf")}, ValueError, "min_strength"),
        ({"write_forward_bias": float("nan")}, ValueError, "write_forward"),
        ({"write_forward_bias": "2"}, TypeError, "write_forward_bias"),
        ({"write_min_sharpening": 0.9}, ValueError, "write_min_sharpening"),
        ({"write_min_sharpening": float("inf")}, ValueError, "write_min"),
        ({"write_min_sharpening": "1"}, TypeError, "write_min_sharpening"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        NTMCell(**kwargs)


def _fresh_controls(bias=0.0, **options):
    """The controls of a fresh cell for a zero controller output."""
    keras.utils.set_random_seed(3)
    cell = NTMCell(write_forward_bias=bias, **dict(SMALL, **options))
    cell.build((2, 3))
    zero = np.zeros((1, cell.controller_units), "float32")
    return {k: np.asarray(v)[0] for k, v in cell.controls(zero).items()}


def _logit(p):
    return np.log(p) - np.log1p(-p)


def test_write_forward_bias_moves_only_write_heads_gate_and_plus_one_shift():
    options = dict(num_read_heads=2, num_write_heads=2, shift_range=5)
    plain = _fresh_controls(0.0, **options)
    biased = _fresh_controls(2.5, **options)
    # A zero controller output leaves the bias: the gate logit of each write
    # head (heads 2 and 3) falls by 2.5; the read heads' stay.
    gate_shift = _logit(biased["gates"]) - _logit(plain["gates"])
    np.testing.assert_allclose(gate_shift, [0, 0, -2.5, -2.5], atol=1e-4)
    # Shift logits (offsets -2..+2): only offset +1 (index 3) of the write
    # heads gains 2.5, relative to the others.
    log_ratio = np.log(biased["shifts"]) - np.log(plain["shifts"])
    log_ratio -= log_ratio[:, :1]
    expected = np.zeros((4, 5))
    expected[2:, 3] = 2.5
    np.testing.assert_allclose(log_ratio, expected, atol=1e-4)
    for name in ("keys", "strengths", "sharpening", "erase", "add"):
        np.testing.assert_allclose(biased[name], plain[name], atol=1e-6)


def test_write_min_sharpening_floors_the_write_heads_only():
    options = dict(num_read_heads=2, num_write_heads=1, min_sharpening=2.0)
    same = _fresh_controls(**options)
    own = _fresh_controls(write_min_sharpening=1.0, **options)
    # The same weights: the write head's exponent is 1 lower, the read
    # heads' unchanged, every other control identical.
    np.testing.assert_allclose(
        same["sharpening"] - own["sharpening"], [0, 0, 1], atol=1e-6
    )
    for name in ("keys", "strengths", "gates", "shifts", "erase", "add"):
        np.testing.assert_allclose(own[name], same[name], atol=1e-6)
    # `None` and a floor equal to `min_sharpening` both mean "the same".
    again = _fresh_controls(write_min_sharpening=2.0, **options)
    np.testing.assert_allclose(again["sharpening"], same["sharpening"])


def test_write_forward_bias_starts_a_write_head_that_walks_forward():
    keras.utils.set_random_seed(0)
    cell = NTMCell(write_forward_bias=3.0, memory_size=16, word_size=4)
    cell.build((4, 5))
    states = cell.get_initial_state(batch_size=4)
    rng = np.random.default_rng(0)
    peaks = []
    for _ in range(8):
        x = (rng.random((4, 5)) < 0.5).astype("float32")
        _, states, trace = cell.step(x, states)
        peaks.append(np.asarray(trace["write_weights"])[:, 0].argmax(-1))
    # The write weighting's peak moves one slot forward every step.
    np.testing.assert_array_equal(np.diff(np.stack(peaks), axis=0), 1)


def test_inputs_of_another_size_raise():
    cell = NTMCell(**SMALL)
    cell.build((2, 3))
    states = cell.get_initial_state(batch_size=2)
    with pytest.raises(ValueError, match="built for 3"):
        cell(np.ones((2, 4), "float32"), states)
