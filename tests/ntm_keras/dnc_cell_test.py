"""DNCCell: one step against NumPy, inside RNN, options, saving, errors."""

import io

import keras
import numpy as np
import pytest
import tensorflow as tf

from ntm_keras import inspect
from ntm_keras.memory import DNCCell, reset_state
from testing import run_saving_test, tensorflow_only

SMALL = dict(controller_units=6, memory_size=5, word_size=4, num_read_heads=2)
OPTIONS = {
    "masked_content": dict(masked_content=True),
    "deallocation": dict(deallocation=True),
    "link_sharpening": dict(link_sharpening=True),
    "sparse_links": dict(sparse_links=2),
}
EPSILON = 1e-6


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _oneplus(x):
    return 1 + np.log1p(np.exp(x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _content(memory, key, strength):
    similarity = np.array(
        [
            key
            @ row
            / (np.sqrt(key @ key + EPSILON) * np.sqrt(row @ row + EPSILON))
            for row in memory
        ]
    )
    return _softmax(strength * similarity)


def _numpy_step(cell, x, states):
    """One DNC step with NumPy loops, from the equations of the Methods."""
    weights = {
        v.path.split("/", 1)[-1]: v.numpy().astype(np.float64)
        for v in cell.weights
    }
    n, w, r = cell.memory_size, cell.word_size, cell.num_read_heads
    memory = states[0].reshape(-1, n, w)
    usage, link = states[1], states[2].reshape(-1, n, n)
    precedence, read_w = states[3], states[4].reshape(-1, r, n)
    write_w, reads, h, c = states[5:]
    z = (
        np.concatenate([x, reads], -1) @ weights["controller_0/kernel"]
        + h @ weights["controller_0/recurrent_kernel"]
        + weights["controller_0/bias"]
    )
    i, f, g, o = np.split(z, 4, axis=-1)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    h = _sigmoid(o) * np.tanh(c)
    xi = np.clip(
        h @ weights["interface_projection/kernel"]
        + weights["interface_projection/bias"],
        -20,
        20,
    )
    sizes = [r * w, r, w, 1, w, w, r, 1, 1, 3 * r]
    parts = np.split(xi, np.cumsum(sizes)[:-1], axis=-1)
    read_keys, read_beta, write_key, write_beta, erase, vector = parts[:6]
    free, alloc_gate, write_gate, modes = parts[6:]
    batch = x.shape[0]
    out = {k: [] for k in ("memory", "usage", "link", "prec", "rw", "ww", "r")}
    for b in range(batch):
        psi = np.ones(n)
        for head in range(r):
            psi *= 1 - _sigmoid(free[b, head]) * read_w[b, head]
        u = (usage[b] + write_w[b] - usage[b] * write_w[b]) * psi
        lifted = EPSILON + (1 - EPSILON) * u
        a, product = np.zeros(n), 1.0
        for slot in np.argsort(lifted, kind="stable"):
            a[slot] = (1 - lifted[slot]) * product
            product *= lifted[slot]
        cw = _content(memory[b], write_key[b], _oneplus(write_beta[b, 0]))
        ga, gw = _sigmoid(alloc_gate[b, 0]), _sigmoid(write_gate[b, 0])
        ww = gw * (ga * a + (1 - ga) * cw)
        m = memory[b] * (1 - np.outer(ww, _sigmoid(erase[b])))
        m = m + np.outer(ww, vector[b])
        new_link = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                if i != j:
                    new_link[i, j] = (1 - ww[i] - ww[j]) * link[b, i, j] + ww[
                        i
                    ] * precedence[b, j]
        p = (1 - ww.sum()) * precedence[b] + ww
        pi = _softmax(modes[b].reshape(r, 3))
        new_read_w = np.zeros((r, n))
        for head in range(r):
            forward = new_link @ read_w[b, head]
            backward = new_link.T @ read_w[b, head]
            content = _content(
                m,
                read_keys[b].reshape(r, w)[head],
                _oneplus(read_beta[b, head]),
            )
            new_read_w[head] = (
                pi[head, 0] * backward
                + pi[head, 1] * content
                + pi[head, 2] * forward
            )
        for key, value in zip(
            out, (m, u, new_link, p, new_read_w, ww, new_read_w @ m)
        ):
            out[key].append(value.reshape(-1))
    out = {k: np.stack(v) for k, v in out.items()}
    output = np.concatenate([h, out["r"]], -1)
    return output, [
        out["memory"],
        out["usage"],
        out["link"],
        out["prec"],
        out["rw"],
        out["ww"],
        out["r"],
        h,
        c,
    ]


def test_one_step_matches_the_equations_written_in_numpy():
    cell = DNCCell(**SMALL)
    cell.build((2, 3))
    rng = np.random.default_rng(1)
    for variable in cell.weights:  # nonzero everywhere, to exercise it all
        variable.assign(rng.normal(0, 0.5, variable.shape))
    x = rng.normal(size=(2, 3)).astype("float32")
    n, r = cell.memory_size, cell.num_read_heads
    # A mid-sequence state: memory, usage, links and weightings all nonzero.
    states = [
        rng.normal(size=(2, n * cell.word_size)),
        rng.random((2, n)),
        rng.random((2, n * n)) * 0.2,
        rng.random((2, n)) / n,
        np.tile(_softmax(rng.normal(size=(r, n))).reshape(1, -1), (2, 1)),
        rng.random((2, n)) / n,
        rng.normal(size=(2, r * cell.word_size)),
        rng.normal(size=(2, 6)),
        rng.normal(size=(2, 6)),
    ]
    states[2] = (states[2].reshape(2, n, n) * (1 - np.eye(n))).reshape(2, -1)
    states = [s.astype("float32") for s in states]
    output, new_states = cell(x, states)
    expected_output, expected_states = _numpy_step(
        cell, x.astype(np.float64), [s.astype(np.float64) for s in states]
    )
    np.testing.assert_allclose(output, expected_output, atol=1e-5)
    for name, got, expected in zip(
        cell.state_names, new_states, expected_states
    ):
        np.testing.assert_allclose(got, expected, atol=1e-5, err_msg=name)


def test_initial_state_and_sizes():
    cell = DNCCell(**SMALL)
    cell.build((None, 3))
    states = [
        keras.ops.convert_to_numpy(s)
        for s in cell.get_initial_state(batch_size=2)
    ]
    assert [s.shape[1] for s in states] == cell.state_size
    assert cell.state_names[:7] == (
        "memory",
        "usage",
        "link",
        "precedence",
        "read_weights",
        "write_weights",
        "read_vectors",
    )
    np.testing.assert_allclose(states[0], 1e-6)
    for state in states[1:6]:  # u_0, L_0, p_0, w_0 are all 0
        np.testing.assert_allclose(state, 0.0)
    assert cell.output_size == 6 + 2 * 4


def test_inside_rnn_with_sequences_and_states():
    cell = DNCCell(**SMALL)
    layer = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    outputs = layer(np.ones((2, 7, 3), "float32"))
    assert tuple(outputs[0].shape) == (2, 7, cell.output_size)
    assert [tuple(s.shape) for s in outputs[1:]] == [
        (2, size) for size in cell.state_size
    ]
    assert all(np.all(np.isfinite(o)) for o in outputs)


def test_masked_steps_keep_the_state():
    inputs = keras.Input((None, 3))
    masked = keras.layers.Masking(0.0)(inputs)
    outputs = keras.layers.RNN(DNCCell(**SMALL), return_state=True)(masked)
    model = keras.Model(inputs, outputs)
    data = np.random.default_rng(0).normal(size=(1, 4, 3)).astype("float32")
    padded = np.concatenate([data, np.zeros((1, 3, 3), "float32")], axis=1)
    for a, b in zip(model(data), model(padded)):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_stateful_rnn_continues_where_it_stopped():
    data = np.random.default_rng(0).normal(size=(2, 6, 3)).astype("float32")
    whole = keras.layers.RNN(DNCCell(**SMALL), return_sequences=True)
    expected = keras.ops.convert_to_numpy(whole(data))
    stateful = keras.layers.RNN(
        DNCCell(**SMALL), return_sequences=True, stateful=True
    )
    stateful.build((2, None, 3))
    stateful.set_weights(whole.get_weights())
    reset_state(stateful)
    first = stateful(data[:, :3])
    second = stateful(data[:, 3:])
    np.testing.assert_allclose(
        np.concatenate([first, second], axis=1), expected, atol=1e-5
    )


def test_config_round_trip_is_json_equal():
    cell = DNCCell(
        controller_layers=2,
        clip_value=5.0,
        seed=3,
        masked_content=True,
        deallocation=True,
        link_sharpening=True,
        sparse_links=3,
        **SMALL,
    )
    restored = DNCCell.from_config(cell.get_config())
    assert restored.get_config() == cell.get_config()
    assert restored.get_config()["sparse_links"] == 3


def test_seed_fixes_the_initial_weights():
    def weights(seed):
        cell = DNCCell(seed=seed, **SMALL)
        cell.build((None, 3))
        return [w.numpy() for w in cell.weights]

    for a, b in zip(weights(7), weights(7)):
        np.testing.assert_array_equal(a, b)
    assert any(not np.allclose(a, b) for a, b in zip(weights(7), weights(8)))


def _model(name, **options):
    inputs = keras.Input((None, 3))
    cell = DNCCell(seed=1, **dict(SMALL, **options))
    hidden = keras.layers.RNN(cell, return_sequences=True)(inputs)
    return keras.Model(inputs, keras.layers.Dense(2)(hidden), name=name)


def test_models_save_and_load_with_identical_predictions(tmp_path):
    data = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    models = [
        _model("dnc_dense", controller_layers=2),
        _model(
            "dnc_all_options",
            **{k: v for o in OPTIONS.values() for k, v in o.items()},
        ),
    ]
    run_saving_test(models, data, tmp_path)


@pytest.mark.parametrize("options", [{}, OPTIONS["sparse_links"]])
def test_memory_size_can_change_at_inference(options):
    small = keras.layers.RNN(DNCCell(**dict(SMALL, **options)))
    small.build((1, None, 3))
    larger = keras.layers.RNN(DNCCell(**dict(SMALL, memory_size=40, **options)))
    larger.build((1, None, 3))
    assert [w.shape for w in larger.get_weights()] == [
        w.shape for w in small.get_weights()
    ]
    larger.set_weights(small.get_weights())
    output = larger(np.ones((1, 30, 3), "float32"))
    assert np.all(np.isfinite(output))


def _copy_shared_weights(source, target, rng):
    """Copies `source`'s weights into `target`.

    The interface projection of `target` may have extra columns (the
    option's controls, e.g. the content masks); they get random values, so
    that the option's controls vary (a constant mask would leave the cosine
    similarity unchanged).
    """
    for a, b in zip(source.weights, target.weights):
        value = rng.normal(0, 1.0, b.shape).astype("float32")
        index = tuple(slice(0, s) for s in a.shape)
        value[index] = a.numpy()
        b.assign(value)


@tensorflow_only
@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_each_option_changes_outputs_and_keeps_gradients_finite(option):
    rng = np.random.default_rng(2)
    data = rng.normal(size=(2, 8, 3)).astype("float32")
    base = keras.layers.RNN(DNCCell(seed=1, **SMALL), return_sequences=True)
    base.build((2, None, 3))
    changed = keras.layers.RNN(
        DNCCell(seed=1, **dict(SMALL, **OPTIONS[option])),
        return_sequences=True,
    )
    changed.build((2, None, 3))
    for variable in base.weights:  # large weights: links and frees matter
        variable.assign(rng.normal(0, 1.0, variable.shape))
    _copy_shared_weights(base, changed, rng)
    expected = keras.ops.convert_to_numpy(base(data))
    with tf.GradientTape() as tape:
        output = changed(data)
        loss = tf.reduce_sum(tf.square(output))
    gradients = tape.gradient(loss, changed.trainable_weights)
    assert np.max(np.abs(output.numpy() - expected)) > 1e-4
    assert all(np.all(np.isfinite(g.numpy())) for g in gradients)


def test_sparse_links_with_k_equal_to_n_give_the_dense_outputs():
    data = np.random.default_rng(3).normal(size=(2, 6, 3)).astype("float32")
    dense = keras.layers.RNN(DNCCell(**SMALL), return_sequences=True)
    expected = keras.ops.convert_to_numpy(dense(data))
    sparse = keras.layers.RNN(
        DNCCell(sparse_links=5, **SMALL), return_sequences=True
    )
    sparse.build((2, None, 3))
    sparse.set_weights(dense.get_weights())
    np.testing.assert_allclose(sparse(data), expected, atol=1e-5)


@tensorflow_only
def test_sparse_links_run_with_an_unknown_batch_size():
    """Evaluation batches have no static batch size (the last may be
    smaller); the sparse link update must not need one."""
    data = np.random.default_rng(4).normal(size=(3, 6, 3)).astype("float32")
    layer = keras.layers.RNN(
        DNCCell(sparse_links=2, **SMALL), return_sequences=True
    )
    expected = keras.ops.convert_to_numpy(layer(data))
    traced = tf.function(
        layer, input_signature=[tf.TensorSpec((None, None, 3), tf.float32)]
    )
    np.testing.assert_allclose(traced(data), expected, atol=1e-6)


def test_trace_exposes_usage_allocation_links_and_read_modes():
    inputs = keras.Input((None, 3))
    hidden = keras.layers.RNN(DNCCell(**SMALL), return_sequences=True)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(hidden))
    data = np.random.default_rng(0).normal(size=(1, 6, 3)).astype("float32")
    trace = inspect.memory_trace(model, data)
    assert trace["usage"].shape == (6, 5)
    assert trace["allocation"].shape == (6, 5)
    assert trace["write_weights"].shape == (6, 1, 5)
    assert trace["read_weights"].shape == (6, 2, 5)
    assert trace["read_modes"].shape == (6, 2, 3)
    assert trace["link"].shape == (6, 5, 5)
    np.testing.assert_allclose(trace["read_modes"].sum(-1), 1.0, atol=1e-5)
    assert np.all(trace["write_weights"].sum(-1) <= 1 + 1e-5)
    assert np.all((trace["usage"] >= 0) & (trace["usage"] <= 1 + 1e-6))
    np.testing.assert_allclose(
        np.diagonal(trace["link"], axis1=1, axis2=2), 0.0, atol=1e-7
    )
    np.testing.assert_allclose(trace["outputs"], model(data)[0], atol=1e-5)
    summary = inspect.trace_summary(trace)
    assert summary["memory_nonfinite_count"] == 0.0
    assert 0.0 <= summary["memory_mean_usage"] <= 1.0


def test_without_read_feedback_the_controller_is_an_lstm_on_the_inputs():
    rng = np.random.default_rng(3)
    data = rng.normal(size=(2, 6, 3)).astype("float32")
    cell = DNCCell(seed=1, read_feedback=False, **SMALL)
    layer = keras.layers.RNN(cell, return_sequences=True)
    layer.build((2, None, 3))
    for variable in layer.weights:  # large weights: the memory matters
        variable.assign(rng.normal(0, 1.0, variable.shape))
    controller = cell.controller_cells[0]
    assert tuple(controller.kernel.shape) == (3, 4 * 6)  # the inputs only
    lstm = keras.layers.LSTM(6, return_sequences=True)
    lstm.build((2, None, 3))
    lstm.set_weights([w.numpy() for w in controller.weights])
    output = keras.ops.convert_to_numpy(layer(data))
    np.testing.assert_allclose(output[..., :6], lstm(data), atol=1e-5)
    # The reads still reach the output: another memory gives other reads.
    states = cell.get_initial_state(batch_size=2)
    states[0] = rng.normal(size=states[0].shape).astype("float32")
    other = keras.ops.convert_to_numpy(layer(data, initial_state=states))
    np.testing.assert_allclose(other[..., :6], output[..., :6], atol=1e-5)
    assert np.max(np.abs(other[..., 6:] - output[..., 6:])) > 1e-3
    restored = DNCCell.from_config(cell.get_config())
    assert restored.read_feedback is False


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"memory_size": 0}, ValueError, "memory_size"),
        ({"word_size": -1}, ValueError, "word_size"),
        ({"num_read_heads": 0}, ValueError, "num_read_heads"),
        ({"controller_units": 0}, ValueError, "controller_units"),
        ({"controller_layers": 0}, ValueError, "controller_layers"),
        ({"clip_value": float("nan")}, ValueError, "clip_value"),
        ({"clip_value": float("inf")}, ValueError, "clip_value"),
        ({"clip_value": 0.0}, ValueError, "clip_value"),
        ({"sparse_links": -1}, ValueError, "sparse_links"),
        ({"sparse_links": 200, "memory_size": 16}, ValueError, "sparse_links"),
        ({"masking": True}, ValueError, "masking"),
        ({"deallocation": 1}, TypeError, "deallocation"),
        ({"read_feedback": "no"}, TypeError, "read_feedback"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        DNCCell(**kwargs)


def test_tiny_dnc_learns_copy_of_length_three():
    import tasks  # noqa: PLC0415  (the zoo and tasks only for this test)
    import zoo  # noqa: PLC0415

    keras.utils.set_random_seed(1)
    task = tasks.get("copy", max_length=3, eval_size=256, seed=1)
    model = zoo.get("dnc_tiny", task=task, memory_size=8, num_read_heads=1)
    # Without XLA: three sequence lengths would each compile (~30 s).
    zoo.compile_for_task(model, task, learning_rate=0.01, jit_compile=False)
    model.fit(task.dataset("train", 32), steps_per_epoch=400, verbose=0)
    result = model.evaluate(
        task.dataset("test", 32), return_dict=True, verbose=0
    )
    assert result["sequence_accuracy"] >= 0.9
    assert result["bit_errors_per_sequence"] <= 0.2


def test_trace_plot_shows_the_dnc_panels():
    inputs = keras.Input((None, 3))
    hidden = keras.layers.RNN(DNCCell(**SMALL), return_sequences=True)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(hidden))
    data = np.random.default_rng(0).normal(size=(1, 4, 3)).astype("float32")
    figure = inspect.plot_memory_trace(
        inspect.memory_trace(model, data), data[0]
    )
    titles = [axis.get_title() for axis in figure.axes]
    assert "usage" in titles and "allocation" in titles
    assert any(t.startswith("link matrix") for t in titles)
    assert sum(t.startswith("read modes") for t in titles) == 2
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")
