"""TransformerEncoderBlock and TransformerDecoderBlock."""

import keras
import numpy as np
import pytest

from ntm_keras.layers import TransformerDecoderBlock, TransformerEncoderBlock
from testing import run_layer_test


def _random(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize(
    "cls", [TransformerEncoderBlock, TransformerDecoderBlock]
)
def test_layer_contract(cls, norm_first):
    run_layer_test(
        cls,
        {
            "num_heads": 2,
            "feed_forward_dim": 16,
            "dropout": 0.1,
            "norm_first": norm_first,
            "seed": 1,
        },
        input_shape=(2, 5, 8),
        expected_output_shape=(2, 5, 8),
        # attention 8, two norms 4, feed-forward 4
        expected_num_trainable_weights=16,
    )


def test_decoder_with_encoder_has_cross_attention_weights():
    block = TransformerDecoderBlock(num_heads=2, feed_forward_dim=16)
    outputs, scores = block(
        _random((2, 5, 8), 0),
        _random((2, 7, 8), 1),
        return_attention_scores=True,
    )
    assert tuple(outputs.shape) == (2, 5, 8)
    assert tuple(scores["self_attention"].shape) == (2, 2, 5, 5)
    assert tuple(scores["cross_attention"].shape) == (2, 2, 5, 7)
    assert len(block.trainable_weights) == 16 + 8 + 2


def _changes_before(block, position, **arguments):
    """Whether changing input step `position` changes earlier outputs."""
    inputs = _random((1, 6, 8), 2)
    changed = inputs.copy()
    changed[0, position:] += 5.0
    before = keras.ops.convert_to_numpy(block(inputs, **arguments))
    after = keras.ops.convert_to_numpy(block(changed, **arguments))
    return not np.allclose(before[0, :position], after[0, :position], atol=1e-6)


def test_decoder_self_attention_is_causal():
    block = TransformerDecoderBlock(num_heads=2, feed_forward_dim=16)
    assert not _changes_before(block, 3)


def test_encoder_sees_the_future_unless_causal():
    block = TransformerEncoderBlock(num_heads=2, feed_forward_dim=16)
    assert _changes_before(block, 3)
    assert not _changes_before(block, 3, use_causal_mask=True)


def test_padded_steps_do_not_change_the_encoder_outputs():
    block = TransformerEncoderBlock(num_heads=2, feed_forward_dim=16)
    inputs = _random((1, 6, 8), 3)
    changed = inputs.copy()
    changed[0, 4:] = 9.0
    mask = np.array([[True] * 4 + [False] * 2])
    before = block(inputs, padding_mask=mask)
    after = block(changed, padding_mask=mask)
    np.testing.assert_allclose(before[0, :4], after[0, :4], atol=1e-5)


def test_padded_source_steps_do_not_change_the_decoder_outputs():
    block = TransformerDecoderBlock(num_heads=2, feed_forward_dim=16)
    target, source = _random((1, 4, 8), 4), _random((1, 6, 8), 5)
    changed = source.copy()
    changed[0, 3:] = -7.0
    mask = np.array([[True] * 3 + [False] * 3])
    before = block(target, source, encoder_padding_mask=mask)
    after = block(target, changed, encoder_padding_mask=mask)
    np.testing.assert_allclose(before, after, atol=1e-5)


def test_causal_cross_attention_hides_later_encoder_steps():
    block = TransformerDecoderBlock(num_heads=2, feed_forward_dim=16)
    target, source = _random((1, 5, 8), 9), _random((1, 5, 8), 10)
    changed = source.copy()
    changed[0, 3:] += 4.0
    before = block(target, source, causal_cross_attention=True)
    after = block(target, changed, causal_cross_attention=True)
    np.testing.assert_allclose(before[0, :3], after[0, :3], atol=1e-5)
    assert not np.allclose(before[0, 3:], after[0, 3:], atol=1e-5)


def test_post_norm_outputs_are_normalized_and_pre_norm_are_not():
    inputs = 10.0 * _random((2, 5, 8), 6) + 3.0
    post = TransformerEncoderBlock(num_heads=2, feed_forward_dim=16)(inputs)
    post = keras.ops.convert_to_numpy(post)
    np.testing.assert_allclose(post.mean(-1), 0.0, atol=1e-4)
    np.testing.assert_allclose(post.std(-1), 1.0, atol=1e-2)
    pre = TransformerEncoderBlock(
        num_heads=2, feed_forward_dim=16, norm_first=True
    )(inputs)
    assert np.abs(keras.ops.convert_to_numpy(pre).mean(-1)).max() > 1.0


def test_decoder_called_differently_from_how_it_was_built_raises():
    block = TransformerDecoderBlock(num_heads=2, feed_forward_dim=16)
    block(_random((1, 3, 8), 7))
    with pytest.raises(ValueError, match="`encoder_outputs`.*without"):
        block(_random((1, 3, 8), 7), _random((1, 4, 8), 8))


@pytest.mark.parametrize(
    "cls", [TransformerEncoderBlock, TransformerDecoderBlock]
)
def test_num_heads_that_do_not_divide_the_width_raise(cls):
    with pytest.raises(ValueError, match=r"`num_heads`.*3.*width 8"):
        cls(num_heads=3, feed_forward_dim=16)(_random((1, 2, 8), 0))


@pytest.mark.parametrize(
    "arguments, error, message",
    [
        ({"num_heads": 0, "feed_forward_dim": 4}, ValueError, "num_heads"),
        ({"num_heads": 2, "feed_forward_dim": 0}, ValueError, "feed_forward"),
        (
            {"num_heads": 2, "feed_forward_dim": 4, "dropout": -0.1},
            ValueError,
            "dropout",
        ),
        (
            {"num_heads": 2, "feed_forward_dim": 4, "norm_first": 1},
            TypeError,
            "norm_first",
        ),
    ],
)
def test_bad_arguments_raise(arguments, error, message):
    with pytest.raises(error, match=message):
        TransformerEncoderBlock(**arguments)
