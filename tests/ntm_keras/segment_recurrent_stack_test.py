import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from ntm_keras.layers import (
    MemoryAugmentedTransformerBlock,
    SegmentRecurrentStack,
    sinusoidal_position_encoding,
)
from testing import tensorflow_only


def _stack(num_blocks=2, addressing="ntm", **kwargs):
    keras.utils.set_random_seed(0)
    blocks = [
        MemoryAugmentedTransformerBlock(
            num_heads=2,
            feed_forward_dim=16,
            memory_size=4,
            word_size=3,
            addressing=addressing,
            name=f"block_{index}",
        )
        for index in range(num_blocks)
    ]
    return SegmentRecurrentStack(blocks, segment_length=4, **kwargs)


def _sequence(steps=12):
    rng = np.random.default_rng(0)
    return rng.standard_normal((2, steps, 8)).astype("float32")


def _by_hand(stack, sequence):
    """Each segment through every block in turn, memories carried."""
    memories = stack.get_initial_memories(sequence.shape[0])
    encoding = keras.ops.convert_to_numpy(sinusoidal_position_encoding(4, 8))
    outputs = []
    for start in range(0, sequence.shape[1], 4):
        segment = sequence[:, start : start + 4]
        segment = segment + encoding[: segment.shape[1]]
        for index, block in enumerate(stack.blocks):
            segment, memories[index] = block(segment, memories[index])
        outputs.append(keras.ops.convert_to_numpy(segment))
    return np.concatenate(outputs, axis=1), memories


@pytest.mark.parametrize(
    "steps, addressing", [(12, "ntm"), (10, "ntm"), (10, "dnc")]
)
def test_stack_equals_blocks_run_segment_by_segment(steps, addressing):
    stack = _stack(addressing=addressing)
    sequence = _sequence(steps)
    outputs, memories = stack(sequence, return_memories=True)
    expected, expected_memories = _by_hand(stack, sequence)
    assert tuple(outputs.shape) == (2, steps, 8)
    np.testing.assert_allclose(outputs, expected, atol=1e-5)
    got, want = (
        keras.tree.flatten(memories),
        keras.tree.flatten(expected_memories),
    )
    assert len(got) == len(want) == (4 if addressing == "dnc" else 2)
    for got_part, want_part in zip(got, want):
        np.testing.assert_allclose(got_part, want_part, atol=1e-5)


def test_trace_of_dnc_blocks_has_usage_and_allocation():
    stack = _stack(addressing="dnc")
    sequence = _sequence(10)
    _, memories = stack(sequence, return_memories=True)
    block = stack.trace(sequence)["block_0"]
    assert tuple(block["allocation_weights"].shape) == (2, 10, 1, 4)
    assert tuple(block["write_gates"].shape) == (2, 10, 1)
    assert tuple(block["usage"].shape) == (2, 3, 4)
    assert tuple(block["memory"].shape) == (2, 3, 4, 3)
    np.testing.assert_allclose(block["usage"][:, -1], memories[0][1], atol=1e-5)


@tensorflow_only
@pytest.mark.parametrize("addressing", ["ntm", "dnc"])
def test_scan_over_an_unknown_length_equals_the_unrolled_loop(addressing):
    stack = _stack(addressing=addressing)
    sequence = _sequence(10)
    unrolled, memories = stack(sequence, return_memories=True)

    @tf.function(input_signature=[tf.TensorSpec((2, None, 8), tf.float32)])
    def scanned(inputs):  # the length is unknown when tracing
        return stack(inputs, return_memories=True)

    outputs, scanned_memories = scanned(tf.constant(sequence))
    operations = scanned.get_concrete_function().graph.get_operations()
    assert any(op.type in ("While", "StatelessWhile") for op in operations)
    np.testing.assert_allclose(outputs, unrolled, atol=1e-5)
    for got, want in zip(
        keras.tree.flatten(scanned_memories), keras.tree.flatten(memories)
    ):
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_the_memory_carries_the_first_segment_to_later_ones():
    stack = _stack(num_blocks=1)
    sequence = _sequence()
    changed = sequence.copy()
    changed[:, :4] = -changed[:, :4]  # the first segment only
    before, after = stack(sequence), stack(changed)
    # Attention never crosses segments: only the memory can carry this.
    assert not np.allclose(before[:, 4:], after[:, 4:], atol=1e-5)


def test_streaming_in_whole_segments_equals_one_call():
    stack = _stack()
    sequence = _sequence(16)
    one_shot = stack(sequence)
    first, memories = stack(sequence[:, :8], return_memories=True)
    second = stack(sequence[:, 8:], memories)
    np.testing.assert_allclose(
        np.concatenate([first, second], axis=1), one_shot, atol=1e-5
    )


def test_trace_matches_the_call():
    stack = _stack()
    sequence = _sequence(10)
    outputs, memories = stack(sequence, return_memories=True)
    trace = stack.trace(sequence)
    assert set(trace) == {"block_0", "block_1"}
    block = trace["block_1"]
    assert tuple(block["read_weights"].shape) == (2, 10, 1, 4)
    assert tuple(block["write_weights"].shape) == (2, 10, 1, 4)
    assert tuple(block["self_attention"].shape) == (2, 3, 2, 4, 4)
    assert tuple(block["memory"].shape) == (2, 3, 4, 3)
    np.testing.assert_allclose(block["memory"][:, -1], memories[1], atol=1e-5)
    # Padding steps of the last segment do not write.
    assert np.all(
        keras.ops.convert_to_numpy(trace["block_0"]["write_weights"]) >= 0
    )


def test_config_and_keras_file_round_trip(tmp_path):
    stack = _stack()
    inputs = keras.Input((None, 8))
    model = keras.Model(inputs, stack(inputs))
    config = stack.get_config()
    restored = SegmentRecurrentStack.from_config(config)
    assert json.dumps(restored.get_config(), sort_keys=True) == json.dumps(
        config, sort_keys=True
    )
    sequence = _sequence(10)
    # Called eagerly: `predict` would trace the scan, seconds apiece.
    expected = keras.ops.convert_to_numpy(model(sequence))
    model.save(tmp_path / "stack.keras")
    loaded = keras.models.load_model(tmp_path / "stack.keras")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(sequence)), expected, atol=1e-6
    )


def test_unpadded_stack_refuses_a_length_it_does_not_divide():
    stack = _stack(pad_last_segment=False)
    assert tuple(stack(_sequence(8)).shape) == (2, 8, 8)
    with pytest.raises(ValueError, match=r"`segment_length`.*4.*length 10"):
        stack(_sequence(10))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"blocks": []}, ValueError, "blocks"),
        ({"blocks": [keras.layers.Dense(3)]}, ValueError, "blocks"),
        ({"segment_length": 0}, ValueError, "segment_length"),
        ({"pad_last_segment": "no"}, TypeError, "pad_last_segment"),
    ],
)
def test_bad_arguments_raise_naming_them(kwargs, error, message):
    arguments = {
        "blocks": [MemoryAugmentedTransformerBlock(2, 16)],
        "segment_length": 4,
    }
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        SegmentRecurrentStack(**arguments)


def test_wrong_number_of_memories_raises():
    stack = _stack()
    stack(_sequence())
    with pytest.raises(ValueError, match="memories"):
        stack(_sequence(), stack.get_initial_memories(2)[:1])
