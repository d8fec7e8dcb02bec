"""`SegmentMemoryImages`: the memory Transformers' pictures and scalars."""

import math

import keras
import matplotlib
import numpy as np
import pytest
import tensorflow as tf

import tasks
import zoo
from ntm_keras.layers.sinusoidal_position_encoding import (
    sinusoidal_position_encoding,
)
from tasks.language import tiny_shakespeare
from testing import read_events
from zoo.tensorboard import segment_memory_images
from zoo.tensorboard.attention_maps import AttentionMapLogger, heads_image
from zoo.tensorboard.segment_memory_images import (
    SegmentMemoryImages,
    probe_inputs,
    segment_memory_image,
    segment_trace_summary,
)

TEXT = "to be or not to be, that is the question.\n" * 20


def colour(value):
    viridis = matplotlib.colormaps["viridis"]
    return np.round(255 * np.asarray(viridis(value))[:3]).astype(np.uint8)


def small_trace(dnc=False):
    """One block, 3 steps in segments of 2, 2 slots, one head each."""
    write = np.zeros((1, 3, 1, 2))
    write[0, 2, 0, 1] = 1.0  # step 2 (second segment) writes slot 1
    read = np.zeros((1, 3, 1, 2))
    read[0, 0, 0, 0] = 0.5  # step 0 reads half of slot 0
    trace = {
        "write_weights": write,
        "read_weights": read,
        "self_attention": np.zeros((1, 2, 1, 2, 2)),
    }
    if dnc:
        trace["usage"] = np.array([[[1.0, 0.0], [0.0, 0.5]]])  # (1, S, N)
    return trace


def test_picture_places_weights_segment_marks_and_gaps_by_hand():
    image = segment_memory_image(small_trace(), scale=2)
    # 2 panels of 2 slots and a gap row, x 2 pixels; 3 steps x 2 pixels
    # and one mark column (1 pixel below 8 pixels per cell).
    assert image.shape == (10, 7, 3) and image.dtype == np.uint8
    # Write panel (rows 0-3): step 2 is after the mark, at columns 5-6.
    np.testing.assert_array_equal(
        image[2:4, 5:7], np.full((2, 2, 3), colour(1.0))
    )
    np.testing.assert_array_equal(image[0, 5], colour(0.0))
    # The red mark between the segments, in both panels.
    for rows in (slice(0, 4), slice(6, 10)):
        np.testing.assert_array_equal(
            image[rows, 4], np.tile([255, 0, 0], (4, 1))
        )
    # The white gap between the panels, across the whole width.
    np.testing.assert_array_equal(image[4:6], np.full((2, 7, 3), 255))
    # Read panel (rows 6-9): step 0, slot 0 at half.
    np.testing.assert_array_equal(
        image[6:8, 0:2], np.full((2, 2, 3), colour(0.5))
    )
    np.testing.assert_array_equal(image[8, 0], colour(0.0))


def test_dnc_picture_adds_the_usage_each_segment_left():
    image = segment_memory_image(small_trace(dnc=True), scale=2)
    assert image.shape == (16, 7, 3)
    usage = image[12:16]
    # Segment 0 left slot 0 full, over both of its steps.
    np.testing.assert_array_equal(
        usage[0:2, 0:4], np.full((2, 4, 3), colour(1.0))
    )
    np.testing.assert_array_equal(usage[2, 0], colour(0.0))
    # Segment 1 (one step, after the mark) left slot 1 at half.
    np.testing.assert_array_equal(
        usage[2:4, 5:7], np.full((2, 2, 3), colour(0.5))
    )
    np.testing.assert_array_equal(usage[0, 5], colour(0.0))


def test_summary_combines_the_blocks_as_computed_by_hand():
    block_a = {
        "read_weights": np.array([[[[1.0, 0.0]], [[0.5, 0.5]]]]),
        "write_weights": np.full((1, 2, 1, 2), 0.5),
        "self_attention": np.array([np.nan, np.inf, 0.0]),
    }
    block_b = {
        "read_weights": np.full((1, 2, 1, 2), 0.5),
        "write_weights": np.array([[[[1.0, 0.0]], [[0.0, 1.0]]]]),
        "self_attention": np.zeros(3),
    }
    summary = segment_trace_summary({"a": block_a, "b": block_b})
    log2 = math.log(2.0)
    # Block a reads sharply then uniformly (0, log 2), block b uniformly.
    assert summary["memory_read_entropy"] == pytest.approx(
        ((0 + log2) / 2 + log2) / 2
    )
    assert summary["memory_write_entropy"] == pytest.approx((log2 + 0) / 2)
    assert summary["memory_nonfinite_count"] == 2.0
    assert "memory_mean_usage" not in summary


def test_summary_of_a_dnc_block_has_usage_and_gates():
    block = {
        "read_weights": np.full((1, 2, 1, 4), 0.25),
        "write_weights": np.full((1, 2, 1, 4), 0.25),
        "usage": np.array([[[0.2, 0.4, 0.0, 0.2], [0.6, 0.8, 0.0, 0.2]]]),
        "allocation_gates": np.array([[[0.1], [0.3]]]),
        "write_gates": np.array([[[0.9], [0.5]]]),
        "free_gates": np.array([[[0.0], [0.0]]]),
    }
    summary = segment_trace_summary({"memory_block_0": block})
    assert summary["memory_read_entropy"] == pytest.approx(math.log(4.0))
    assert summary["memory_mean_usage"] == pytest.approx(0.3)
    assert summary["memory_mean_allocation_gate"] == pytest.approx(0.2)
    assert summary["memory_mean_write_gate"] == pytest.approx(0.7)
    assert summary["memory_nonfinite_count"] == 0.0


def test_token_probe_is_the_attention_example():
    class Spec:
        modality = "tokens"

    class TokenTask:
        spec = Spec()

        def attention_example(self):
            return np.array([[3, 1, 4, 1, 5]]), {}

    np.testing.assert_array_equal(probe_inputs(TokenTask()), [[3, 1, 4, 1, 5]])


def test_bad_probe_and_pictures_are_refused():
    with pytest.raises(ValueError, match="probe.*shape \\(5,\\)"):
        SegmentMemoryImages("/tmp/unused", np.zeros(5))
    with pytest.raises(TypeError, match="pictures"):
        SegmentMemoryImages("/tmp/unused", np.zeros((1, 5)), pictures=1)


def drive(run_dir, model, task, epochs, inspect_every=None):
    """Runs the run's own memory logger and TensorBoard callback by hand.

    The epochs' logs go through the callbacks `zoo.callbacks` chooses, in
    its order, as `fit` would pass them (without the cost of a `fit`).
    """
    chosen = [
        callback
        for callback in zoo.callbacks(
            run_dir, task=task, model=model, inspect_every=inspect_every
        )
        if isinstance(
            callback, (SegmentMemoryImages, keras.callbacks.TensorBoard)
        )
    ]
    assert [type(c).__name__ for c in chosen] == [
        "SegmentMemoryImages",
        "TensorBoard",
    ]
    for callback in chosen:
        callback.set_model(model)
        callback.set_params({"epochs": epochs})
        callback.on_train_begin()
    for epoch in range(epochs):
        logs = {"loss": 1.0}
        for callback in chosen:
            callback.on_epoch_end(epoch, logs)
    for callback in chosen:
        callback.on_train_end()
    return chosen[0]


def image_steps_and_shape(accumulator, tag):
    events = accumulator.Tensors(tag)
    width, height, png = tf.make_ndarray(events[-1].tensor_proto)
    decoded = tf.image.decode_png(png)
    return [event.step for event in events], (int(height), int(width)), decoded


@pytest.mark.parametrize(
    "name, panels, scalars",
    [
        ("ntm_transformer_tiny", 2, ()),
        (
            "dnc_transformer_tiny",
            3,
            (
                "memory_mean_usage",
                "memory_mean_allocation_gate",
                "memory_mean_write_gate",
            ),
        ),
    ],
)
def test_pictures_and_scalars_land_in_the_event_files(
    tmp_path, name, panels, scalars
):
    task = tasks.get("copy", max_length=4)
    model = zoo.get(name, task=task)
    logger = drive(tmp_path, model, task, epochs=3, inspect_every=2)
    inspection = read_events(tmp_path / "logs" / "inspection")
    steps, size, decoded = image_steps_and_shape(
        inspection, "memory/memory_block_0"
    )
    # Every second epoch, and the last.
    assert steps == [1, 2]
    # The copy probe of length 4 has 9 steps, segments of 8: 2 segments;
    # 8 slots; 256 // 9 = 28 pixels per cell and a 2-pixel mark.
    time = logger.probe.shape[1]
    assert time == 9
    expected = ((panels * 9 - 1) * 28, time * 28 + 2)
    assert size == expected and tuple(decoded.shape) == (*expected, 3)
    train = read_events(tmp_path / "logs" / "train")
    summary = segment_trace_summary(logger.trace)
    for scalar in (
        "memory_read_entropy",
        "memory_write_entropy",
        "memory_nonfinite_count",
        *scalars,
    ):
        events = train.Tensors(f"epoch_{scalar}")
        assert [event.step for event in events] == [0, 1, 2]
        written = float(tf.make_ndarray(events[-1].tensor_proto))
        assert written == pytest.approx(summary[scalar], rel=1e-6)
    assert 0.0 < summary["memory_read_entropy"] <= math.log(8.0) + 1e-6


def test_inspect_every_zero_keeps_the_scalars_and_draws_nothing(tmp_path):
    task = tasks.get("copy", max_length=4)
    model = zoo.get("ntm_transformer_tiny", task=task)
    drive(tmp_path, model, task, epochs=1, inspect_every=0)
    assert not (tmp_path / "logs" / "inspection").exists()
    train = read_events(tmp_path / "logs" / "train")
    assert "epoch_memory_read_entropy" in train.Tags()["tensors"]


def test_a_long_probe_is_cut_to_whole_segments(tmp_path):
    task = tasks.get("copy", max_length=4)
    model = zoo.get("ntm_transformer_tiny", task=task)
    probe = np.random.default_rng(0).integers(0, 2, (1, 50, 9)) * 1.0
    logger = SegmentMemoryImages(tmp_path, probe, pictures=False)
    logger.set_model(model)
    logs = {}
    logger.on_epoch_end(0, logs)
    cut = segment_memory_images.MAX_PROBE_SEGMENTS * 8
    read = logger.trace["memory_block_0"]["read_weights"]
    assert read.shape == (1, cut, 1, 8)
    assert logs["memory_nonfinite_count"] == 0.0
    assert not any(tmp_path.iterdir())


def attention_by_hand(model, probe):
    """The block's own trace, segment by segment, into the full map.

    Runs `memory_block_0` itself (`return_trace=True`) on each segment of
    the embedded probe, as `SegmentRecurrentStack` feeds it, and places
    each segment's `(num_heads, L, L)` attention on the diagonal.
    """
    stack = model.get_layer(zoo.models.ntm_transformer.STACK_NAME)
    block = stack.blocks[0]
    length_l = stack.segment_length
    time = probe.shape[1]
    segments = -(-time // length_l)
    hidden = model.get_layer("embedding")(probe)
    hidden = np.pad(hidden, ((0, 0), (0, segments * length_l - time), (0, 0)))
    encoding = sinusoidal_position_encoding(length_l, hidden.shape[-1])
    memory = stack.get_initial_memories(1)[0]
    full = np.zeros((block.num_heads, segments * length_l, segments * length_l))
    for index in range(segments):
        window = slice(index * length_l, (index + 1) * length_l)
        mask = (np.arange(window.start, window.stop) < time)[None]
        _, memory, trace = block(
            hidden[:, window] + encoding,
            memory,
            padding_mask=mask,
            return_trace=True,
        )
        full[:, window, window] = keras.ops.convert_to_numpy(
            trace["self_attention"]
        )[0]
    return full[:, :time, :time]


@pytest.mark.parametrize(
    "name", ["ntm_transformer_tiny", "dnc_transformer_tiny"]
)
def test_attention_maps_of_a_bit_task_land_beside_the_memory_pictures(
    tmp_path, name
):
    task = tasks.get("copy", max_length=4)
    # Segments of 4 over the 9-step probe: 4, 4 and 1 steps.
    model = zoo.get(name, task=task, segment_length=4)
    logger = drive(tmp_path, model, task, epochs=3, inspect_every=2)
    assert logger.attention
    inspection = read_events(tmp_path / "logs" / "inspection")
    tag = "attention/memory_block_0/self_attention"
    steps, size, decoded = image_steps_and_shape(inspection, tag)
    memory_steps, _, _ = image_steps_and_shape(
        inspection, "memory/memory_block_0"
    )
    assert steps == memory_steps == [1, 2]
    # 9 steps, 256 // 9 = 28 pixels per weight, 2 marks of 2 pixels; two
    # heads of 256 pixels and a gap of 28.
    assert size == (256, 2 * 256 + 28)
    weights = logger.attention_maps["memory_block_0"]
    assert weights.shape == (2, 9, 9)
    np.testing.assert_array_equal(
        decoded.numpy(), heads_image(weights, segment_length=4)
    )
    # Every step attends to something: rows sum to 1; nothing outside a
    # segment's causal triangle.
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-5)
    allowed = np.zeros((9, 9), bool)
    for start in (0, 4, 8):
        allowed[start : start + 4, start : start + 4] = True
    allowed &= np.tril(np.ones((9, 9), bool))
    assert np.all(weights[:, ~allowed] == 0.0)
    # The values are the block's own, called segment by segment.
    np.testing.assert_allclose(
        weights, attention_by_hand(model, logger.probe[:, :9]), atol=1e-6
    )


def test_token_tasks_keep_their_attention_logger(monkeypatch, tmp_path):
    monkeypatch.setattr(
        tiny_shakespeare,
        "load_texts",
        lambda *_: dict.fromkeys(("train", "validation", "test"), TEXT),
    )
    task = tasks.get("tiny_shakespeare", context_length=8)
    model = zoo.get("ntm_transformer_tiny", task=task)
    found = zoo.callbacks(tmp_path, task=task, model=model, inspect_every=1)
    assert sum(isinstance(c, AttentionMapLogger) for c in found) == 1
    logger = drive(tmp_path, model, task, epochs=1, inspect_every=1)
    assert not logger.attention and not logger.attention_maps
    tags = read_events(tmp_path / "logs" / "inspection").Tags()["tensors"]
    assert tags == ["memory/memory_block_0"]
