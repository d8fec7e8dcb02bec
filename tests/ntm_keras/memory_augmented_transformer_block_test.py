import itertools
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from ntm_keras.layers import MemoryAugmentedTransformerBlock
from ntm_keras.layers.memory_augmented_transformer_block import (
    segment_allocation,
    segment_usage,
    sequential_write,
)
from ntm_keras.memory import addressing
from testing import tensorflow_only


def _block(**kwargs):
    arguments = dict(
        num_heads=2,
        feed_forward_dim=16,
        memory_size=4,
        word_size=3,
        num_read_heads=2,
        num_write_heads=2,
    )
    arguments.update(kwargs)
    return MemoryAugmentedTransformerBlock(**arguments)


def _segment(batch_size=2, steps=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch_size, steps, 8)).astype("float32")


def _memory(batch_size=2, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch_size, 4, 3)).astype("float32")


def test_shapes_of_outputs_memory_and_trace():
    keras.utils.set_random_seed(0)
    block = _block()
    outputs, memory = block(_segment())
    assert tuple(outputs.shape) == (2, 5, 8)
    assert tuple(memory.shape) == (2, 4, 3)
    outputs, memory, trace = block(_segment(), memory, return_trace=True)
    assert tuple(trace["self_attention"].shape) == (2, 2, 5, 5)
    assert tuple(trace["read_weights"].shape) == (2, 5, 2, 4)
    assert tuple(trace["write_weights"].shape) == (2, 5, 2, 4)
    assert tuple(trace["erase"].shape) == (2, 5, 2, 3)
    np.testing.assert_allclose(
        np.sum(trace["read_weights"], axis=-1), 1.0, atol=1e-5
    )
    symbolic = block.compute_output_shape((None, 5, 8), (None, 4, 3))
    assert symbolic == ((None, 5, 8), (None, 4, 3))


def test_initial_memory_is_learned_and_independent_of_the_batch():
    block = _block()
    block(_segment())
    names = [weight.path for weight in block.trainable_weights]
    assert any(name.endswith("initial_memory") for name in names)
    first = keras.ops.convert_to_numpy(block.get_initial_memory(3))
    assert first.shape == (3, 4, 3)
    np.testing.assert_array_equal(first[0], first[2])
    assert np.std(first[0]) > 0.1  # slots differ, so content can address


def test_config_round_trip_is_json_equal():
    block = _block(addressing="ntm", use_causal_mask=False, dropout=0.1)
    config = block.get_config()
    restored = MemoryAugmentedTransformerBlock.from_config(config)
    assert json.dumps(restored.get_config(), sort_keys=True) == json.dumps(
        config, sort_keys=True
    )
    for key in ("memory_size", "word_size", "num_read_heads", "addressing"):
        assert key in config


def test_keras_file_round_trip_keeps_outputs_and_memory(tmp_path):
    keras.utils.set_random_seed(0)
    segment = keras.Input((5, 8), name="segment")
    memory = keras.Input((4, 3), name="memory")
    outputs, new_memory = _block()(segment, memory)
    model = keras.Model([segment, memory], [outputs, new_memory])
    data = [_segment(), _memory()]
    expected = model.predict(data, verbose=0)
    model.save(tmp_path / "block.keras")
    loaded = keras.models.load_model(tmp_path / "block.keras")
    for got, want in zip(loaded.predict(data, verbose=0), expected):
        np.testing.assert_allclose(got, want, atol=1e-6)


@pytest.mark.parametrize("causal", [True, False])
def test_later_steps_change_earlier_outputs_only_when_bidirectional(causal):
    keras.utils.set_random_seed(0)
    block = _block(use_causal_mask=causal)
    segment, memory = _segment(), _memory()
    changed = segment.copy()
    # Not a constant shift, which the pre-norm LayerNormalization removes.
    changed[:, 3:] = _segment(seed=5)[:, 3:]
    before, _ = block(segment, memory)
    after, _ = block(changed, memory)
    same = np.allclose(before[:, :3], after[:, :3], atol=1e-6)
    assert same == causal
    assert not np.allclose(before[:, 3:], after[:, 3:])


def _ntm_writes_one_step_at_a_time(memory, weights, erase, add):
    """The NTM write of each step in turn (equations 3 and 4), by loops."""
    memory = memory.copy()
    batch_size, steps, heads, slots = weights.shape
    for b in range(batch_size):
        for t in range(steps):
            keep = np.ones_like(memory[b])
            added = np.zeros_like(memory[b])
            for h in range(heads):
                for i in range(slots):
                    keep[i] *= 1.0 - weights[b, t, h, i] * erase[b, t, h]
                    added[i] += weights[b, t, h, i] * add[b, t, h]
            memory[b] = memory[b] * keep + added
    return memory


def test_sequential_write_equals_one_write_per_step():
    rng = np.random.default_rng(3)
    memory = rng.standard_normal((2, 4, 3)).astype("float32")
    weights = rng.dirichlet(np.ones(4), size=(2, 3, 2)).astype("float32")
    erase = rng.uniform(size=(2, 3, 2, 3)).astype("float32")
    add = rng.standard_normal((2, 3, 2, 3)).astype("float32")
    expected = _ntm_writes_one_step_at_a_time(memory, weights, erase, add)
    got = sequential_write(memory, weights, erase, add)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_a_later_erase_removes_what_an_earlier_step_added():
    # One slot of width 2; step 0 adds [1, 2], step 1 erases 3/4 and 1/2 of
    # the slot and adds 5.
    memory = np.array([[[10.0, 20.0]]], "float32")  # (1, 1, 2)
    weights = np.ones((1, 2, 1, 1), "float32")
    erase = np.array([[[[0.0, 0.0]], [[0.75, 0.5]]]], "float32")
    add = np.array([[[[1.0, 2.0]], [[5.0, 5.0]]]], "float32")
    got = keras.ops.convert_to_numpy(
        sequential_write(memory, weights, erase, add)
    )
    # Step 0: [11, 22]; step 1: [11 / 4 + 5, 22 / 2 + 5] = [7.75, 16]. One
    # summed write would give [10 / 4 + 6, 20 / 2 + 7] = [8.5, 17].
    np.testing.assert_allclose(got, [[[7.75, 16.0]]], atol=1e-5)


def test_block_memory_is_the_sequential_write_of_its_trace():
    keras.utils.set_random_seed(0)
    block = _block()
    memory = _memory()
    _, new_memory, trace = block(_segment(), memory, return_trace=True)
    expected = _ntm_writes_one_step_at_a_time(
        memory,
        *(
            keras.ops.convert_to_numpy(trace[key])
            for key in ("write_weights", "erase", "add")
        ),
    )
    np.testing.assert_allclose(new_memory, expected, rtol=1e-5, atol=1e-5)


def test_padding_steps_do_not_write():
    keras.utils.set_random_seed(0)
    block = _block()
    segment, memory = _segment(), _memory()
    mask = np.array([[1, 1, 1, 0, 0]] * 2, bool)
    outputs, padded_memory = block(segment, memory, padding_mask=mask)
    short_outputs, short_memory = block(segment[:, :3], memory)
    np.testing.assert_allclose(padded_memory, short_memory, atol=1e-5)
    np.testing.assert_allclose(outputs[:, :3], short_outputs, atol=1e-5)


def test_read_depends_on_the_memory():
    keras.utils.set_random_seed(0)
    block = _block()
    segment = _segment()
    first, _ = block(segment, _memory(seed=1))
    second, _ = block(segment, _memory(seed=2))
    assert not np.allclose(first, second, atol=1e-4)
    # Every step reads, not only some.
    assert np.all(np.abs(first - second).max(axis=-1) > 1e-5)


@tensorflow_only
def test_a_closed_read_ignores_the_memory_then_learns_to_open():
    keras.utils.set_random_seed(0)
    block = _block(zero_init_read=True)
    segment = _segment()
    first, _ = block(segment, _memory(seed=1))
    second, _ = block(segment, _memory(seed=2))
    np.testing.assert_array_equal(first, second)
    with tf.GradientTape() as tape:
        outputs, _ = block(segment, _memory(seed=1))
        loss = tf.reduce_sum(outputs**2)
    kernel = block.read_output.kernel
    gradient = tape.gradient(loss, kernel)
    assert np.abs(gradient.numpy()).max() > 1e-3
    kernel.assign_sub(0.1 * gradient)
    first, _ = block(segment, _memory(seed=1))
    second, _ = block(segment, _memory(seed=2))
    assert np.all(np.abs(first - second).max(axis=-1) > 1e-5)
    config = block.get_config()
    assert config["zero_init_read"] is True
    assert MemoryAugmentedTransformerBlock.from_config(config).zero_init_read


@tensorflow_only
def test_gradients_are_finite_with_zero_memory():
    keras.utils.set_random_seed(0)
    block = _block()
    segment = tf.constant(_segment() * 100.0)  # extreme activations too
    memory = tf.zeros((2, 4, 3))
    block(segment, memory)
    with tf.GradientTape() as tape:
        tape.watch([segment, memory])
        outputs, new_memory = block(segment, memory)
        loss = tf.reduce_sum(outputs**2) + tf.reduce_sum(new_memory**2)
    # The initial memory is not used when a memory is given.
    weights = [
        w for w in block.trainable_weights if "initial_memory" not in w.path
    ]
    sources = [segment, memory, *weights]
    gradients = tape.gradient(loss, sources)
    assert np.isfinite(loss.numpy())
    for source, gradient in zip(sources, gradients):
        assert gradient is not None, getattr(source, "path", "input")
        assert np.all(np.isfinite(keras.ops.convert_to_numpy(gradient)))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"memory_size": 0}, ValueError, "memory_size"),
        ({"word_size": -2}, ValueError, "word_size"),
        ({"num_read_heads": 0}, ValueError, "num_read_heads"),
        ({"num_write_heads": 0}, ValueError, "num_write_heads"),
        ({"num_heads": 0}, ValueError, "num_heads"),
        ({"feed_forward_dim": 0}, ValueError, "feed_forward_dim"),
        ({"addressing": "lru"}, ValueError, r"addressing.*'ntm'"),
        ({"use_causal_mask": "yes"}, TypeError, "use_causal_mask"),
        ({"zero_init_read": 1}, TypeError, "zero_init_read"),
    ],
)
def test_bad_arguments_raise_naming_them(kwargs, error, message):
    with pytest.raises(error, match=message):
        _block(**kwargs)


@pytest.mark.parametrize(
    "memory_shape", [(2, 4), (2, 5, 3), (2, 4, 7), (2, 4, 3, 1)]
)
def test_memory_of_the_wrong_shape_raises(memory_shape):
    block = _block()
    block(_segment())
    with pytest.raises(ValueError, match=r"`memory`.*memory_size=4"):
        block(_segment(), np.zeros(memory_shape, "float32"))


def test_heads_that_do_not_divide_the_width_raise():
    with pytest.raises(ValueError, match="num_heads"):
        _block(num_heads=3)(_segment())


# -- addressing="dnc" ------------------------------------------------------


def _lifted(usage):
    return addressing.EPSILON + (1.0 - addressing.EPSILON) * usage


def _allocation_by_enumeration(usage, claims):
    """`segment_allocation` by counting free patterns and loops.

    Slot phi_j is the (k + 1)-th free slot with probability
    f_j * sum over the patterns of phi_0 .. phi_{j-1} with exactly k free
    slots of prod (f if free else u); claims interpolate between k's.
    """
    batch_size, steps, heads = claims.shape
    size = usage.shape[-1]
    result = np.zeros((batch_size, steps, heads, size))
    for b in range(batch_size):
        used = _lifted(usage[b].astype("float64"))
        order = np.argsort(used, kind="stable")
        count = steps * heads
        table = np.zeros((count, size))  # A_k[slot]
        for j, slot in enumerate(order):
            for pattern in itertools.product((0, 1), repeat=j):
                k = sum(pattern)
                if k >= count:
                    continue
                probability = 1.0 - used[slot]
                for free, earlier in zip(pattern, order[:j]):
                    probability *= (
                        1.0 - used[earlier] if free else used[earlier]
                    )
                table[k, slot] += probability
        flat = claims[b].reshape(-1)
        for q in range(count):
            before = flat[:q].sum()
            for k in range(count):
                tent = max(0.0, 1.0 - abs(before - k))
                result[b].reshape(count, size)[q] += tent * table[k]
    return result


def test_segment_allocation_matches_counting_free_patterns():
    rng = np.random.default_rng(0)
    usage = rng.uniform(size=(2, 4)).astype("float32")
    claims = rng.uniform(size=(2, 3, 2)).astype("float32")
    got = keras.ops.convert_to_numpy(segment_allocation(usage, claims))
    expected = _allocation_by_enumeration(usage, claims)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert np.all(got.sum(axis=-1) <= 1.0 + 1e-6)


def test_first_step_allocates_as_the_dnc():
    usage = np.random.default_rng(1).uniform(size=(3, 6)).astype("float32")
    claims = np.ones((3, 4, 1), "float32")
    got = segment_allocation(usage, claims)[:, 0, 0]
    np.testing.assert_allclose(
        got, addressing.allocation_weights(usage), atol=1e-6
    )


def test_steps_that_claim_whole_slots_get_distinct_free_slots():
    usage = np.array([[1.0, 0.0, 1.0, 0.0, 0.0, 1.0]], "float32")
    claims = np.ones((1, 3, 1), "float32")
    got = keras.ops.convert_to_numpy(segment_allocation(usage, claims))[0, :, 0]
    np.testing.assert_allclose(np.sort(got, axis=-1)[:, -1], 1.0, atol=1e-5)
    slots = np.argmax(got, axis=-1)
    assert sorted(slots) == [1, 3, 4]  # the three free slots, once each
    # A step whose predecessor claimed nothing takes the same slot.
    claims[0, 0, 0] = 0.0
    got = keras.ops.convert_to_numpy(segment_allocation(usage, claims))[0, :, 0]
    assert np.argmax(got[0]) == np.argmax(got[1])


def _usage_one_step_at_a_time(usage, write_weights, free_gates, read_weights):
    """`addressing.update_usage` per step and write head, in order."""
    usage = usage.copy()
    steps, heads = write_weights.shape[1], write_weights.shape[2]
    for t in range(steps):
        for v in range(heads):
            last = v == heads - 1  # the frees come after every head wrote
            usage = keras.ops.convert_to_numpy(
                addressing.update_usage(
                    usage,
                    write_weights[:, t, v],
                    free_gates[:, t] * float(last),
                    read_weights[:, t],
                )
            )
    return usage


def test_segment_usage_equals_the_dnc_usage_step_by_step():
    rng = np.random.default_rng(2)
    usage = rng.uniform(size=(2, 4)).astype("float32")
    write_weights = 0.5 * rng.dirichlet(np.ones(4), size=(2, 3, 2))
    read_weights = rng.dirichlet(np.ones(4), size=(2, 3, 2))
    free_gates = rng.uniform(size=(2, 3, 2))
    arrays = [
        a.astype("float32") for a in (write_weights, free_gates, read_weights)
    ]
    got = segment_usage(usage, *arrays)
    expected = _usage_one_step_at_a_time(usage, *arrays)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def _dnc_block(**kwargs):
    return _block(addressing="dnc", **kwargs)


def _usage(batch_size=2, seed=3):
    rng = np.random.default_rng(seed)
    return rng.uniform(size=(batch_size, 4)).astype("float32")


def test_dnc_block_state_is_memory_and_usage_and_its_trace_is_consistent():
    keras.utils.set_random_seed(0)
    block = _dnc_block()
    memory, usage = _memory(), _usage()
    outputs, (new_memory, new_usage), trace = block(
        _segment(), (memory, usage), return_trace=True
    )
    assert tuple(outputs.shape) == (2, 5, 8)
    trace = {k: keras.ops.convert_to_numpy(v) for k, v in trace.items()}
    # The write weighting mixes allocation and content under the gates, so
    # it sums to at most the write gate.
    total = trace["write_weights"].sum(axis=-1)
    assert np.all(total <= trace["write_gates"] + 1e-5)
    claims = trace["write_gates"] * trace["allocation_gates"]
    np.testing.assert_allclose(
        trace["allocation_weights"],
        _allocation_by_enumeration(usage, claims),
        rtol=1e-4,
        atol=1e-5,
    )
    np.testing.assert_allclose(
        new_memory,
        _ntm_writes_one_step_at_a_time(
            memory, trace["write_weights"], trace["erase"], trace["add"]
        ),
        rtol=1e-5,
        atol=1e-5,
    )
    np.testing.assert_allclose(
        new_usage,
        _usage_one_step_at_a_time(
            usage,
            trace["write_weights"],
            trace["free_gates"],
            trace["read_weights"],
        ),
        rtol=1e-5,
        atol=1e-5,
    )
    np.testing.assert_allclose(trace["usage"], new_usage)


def test_dnc_block_starts_with_every_slot_free():
    block = _dnc_block()
    outputs, (memory, usage) = block(_segment())
    initial_memory, initial_usage = block.get_initial_memory(2)
    np.testing.assert_array_equal(initial_usage, np.zeros((2, 4)))
    assert np.all(keras.ops.convert_to_numpy(usage) > 0)  # it wrote


def test_dnc_padding_steps_do_not_write_claim_or_free():
    keras.utils.set_random_seed(0)
    block = _dnc_block()
    segment, state = _segment(), (_memory(), _usage())
    mask = np.array([[1, 1, 1, 0, 0]] * 2, bool)
    outputs, padded = block(segment, state, padding_mask=mask)
    short_outputs, short = block(segment[:, :3], state)
    for got, want in zip(padded, short):
        np.testing.assert_allclose(got, want, atol=1e-5)
    np.testing.assert_allclose(outputs[:, :3], short_outputs, atol=1e-5)


def test_dnc_config_and_keras_file_round_trip(tmp_path):
    keras.utils.set_random_seed(0)
    block = _dnc_block()
    config = block.get_config()
    assert config["addressing"] == "dnc"
    restored = MemoryAugmentedTransformerBlock.from_config(config)
    assert restored.get_config() == config
    segment = keras.Input((5, 8), name="segment")
    memory = keras.Input((4, 3), name="memory")
    usage = keras.Input((4,), name="usage")
    outputs, (new_memory, new_usage) = block(segment, (memory, usage))
    model = keras.Model(
        [segment, memory, usage], [outputs, new_memory, new_usage]
    )
    data = [_segment(), _memory(), _usage()]
    expected = model.predict(data, verbose=0)
    model.save(tmp_path / "dnc_block.keras")
    loaded = keras.models.load_model(tmp_path / "dnc_block.keras")
    for got, want in zip(loaded.predict(data, verbose=0), expected):
        np.testing.assert_allclose(got, want, atol=1e-6)


@tensorflow_only
def test_dnc_gradients_are_finite_with_full_and_empty_usage():
    keras.utils.set_random_seed(0)
    block = _dnc_block()
    segment = tf.constant(_segment())
    usage = tf.constant([[0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    memory = tf.zeros((2, 4, 3))
    block(segment, (memory, usage))
    with tf.GradientTape() as tape:
        tape.watch([segment, memory, usage])
        outputs, (new_memory, new_usage) = block(segment, (memory, usage))
        loss = (
            tf.reduce_sum(outputs**2)
            + tf.reduce_sum(new_memory**2)
            + tf.reduce_sum(new_usage)
        )
    weights = [
        w for w in block.trainable_weights if "initial_memory" not in w.path
    ]
    sources = [segment, memory, usage, *weights]
    for source, gradient in zip(sources, tape.gradient(loss, sources)):
        assert gradient is not None, getattr(source, "path", "input")
        assert np.all(np.isfinite(keras.ops.convert_to_numpy(gradient)))


def test_dnc_block_needs_memory_and_usage_and_ntm_block_one_memory():
    dnc, ntm = _dnc_block(), _block()
    with pytest.raises(ValueError, match=r"`memory`.*\(memory, usage\)"):
        dnc(_segment(), _memory())
    with pytest.raises(ValueError, match=r"`memory`.*usage.*memory_size=4"):
        dnc(_segment(), (_memory(), np.zeros((2, 5), "float32")))
    with pytest.raises(ValueError, match=r"`memory`.*addressing='ntm'"):
        ntm(_segment(), (_memory(), _usage()))
