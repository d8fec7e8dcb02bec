"""Our MultiHeadAttention against keras.layers.MultiHeadAttention."""

import json

import keras
import numpy as np
import pytest

from ntm_keras.layers import MultiHeadAttention

TOLERANCE = 1e-5

# (layer arguments, query shape, value shape or None for self-attention)
CONFIGURATIONS = [
    ({"num_heads": 2, "key_dim": 4}, (3, 5, 8), None),
    ({"num_heads": 1, "key_dim": 8}, (2, 6, 8), None),
    ({"num_heads": 4, "key_dim": 3, "value_dim": 5}, (2, 5, 12), (2, 7, 6)),
    (
        {"num_heads": 3, "key_dim": 4, "value_dim": 2, "output_shape": 9},
        (2, 4, 8),
        (2, 6, 10),
    ),
    ({"num_heads": 2, "key_dim": 4, "use_bias": False}, (2, 5, 8), (2, 3, 8)),
]


def _random(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _pair(arguments, query, value):
    """A Keras layer and ours, built and holding the same weights."""
    theirs = keras.layers.MultiHeadAttention(**arguments)
    ours = MultiHeadAttention(**arguments)
    theirs(query, value)
    ours(query, value)
    ours.set_weights(theirs.get_weights())
    return theirs, ours


def _masks(query, value, seed):
    rng = np.random.default_rng(seed)
    batch, query_steps, key_steps = (
        query.shape[0],
        query.shape[1],
        value.shape[1],
    )
    attention_mask = rng.random((batch, query_steps, key_steps)) > 0.3
    attention_mask[:, :, 0] = True  # every query sees at least one key
    value_mask = np.ones((batch, key_steps), bool)
    value_mask[:, -1] = False  # one padded key step
    return [
        {},
        {"attention_mask": attention_mask},
        {"value_mask": value_mask},
        {"use_causal_mask": True},
        {"use_causal_mask": True, "attention_mask": attention_mask},
    ]


@pytest.mark.parametrize("arguments, query_shape, value_shape", CONFIGURATIONS)
def test_variables_match_keras_in_order_and_shape(
    arguments, query_shape, value_shape
):
    query = _random(query_shape, 0)
    value = query if value_shape is None else _random(value_shape, 1)
    theirs = keras.layers.MultiHeadAttention(**arguments)
    ours = MultiHeadAttention(**arguments)
    theirs(query, value)
    ours(query, value)
    assert [tuple(w.shape) for w in ours.weights] == [
        tuple(w.shape) for w in theirs.weights
    ]
    # The same roles in the same order: query, key, value, output.
    roles = [w.path.split("/")[-2] for w in theirs.weights]
    ours_roles = [w.name.split("_")[0] for w in ours.weights]
    expected = [{"attention": "output"}.get(r.split("_")[0], r) for r in roles]
    assert ours_roles == expected


@pytest.mark.parametrize("arguments, query_shape, value_shape", CONFIGURATIONS)
def test_outputs_and_scores_match_keras_with_copied_weights(
    arguments, query_shape, value_shape
):
    query = _random(query_shape, 2)
    value = query if value_shape is None else _random(value_shape, 3)
    theirs, ours = _pair(arguments, query, value)
    for masks in _masks(query, value, seed=4):
        expected, expected_scores = theirs(
            query, value, return_attention_scores=True, **masks
        )
        received, received_scores = ours(
            query, value, return_attention_scores=True, **masks
        )
        np.testing.assert_allclose(received, expected, atol=TOLERANCE)
        np.testing.assert_allclose(
            received_scores, expected_scores, atol=TOLERANCE
        )
        # Without scores Keras takes its fused dot_product_attention path.
        np.testing.assert_allclose(
            ours(query, value, **masks),
            theirs(query, value, **masks),
            atol=TOLERANCE,
        )


def test_separate_key_matches_keras():
    query, value, key = _random((2, 4, 8), 5), _random((2, 6, 5), 6), None
    key = _random((2, 6, 7), 7)
    arguments = {"num_heads": 2, "key_dim": 3}
    theirs = keras.layers.MultiHeadAttention(**arguments)
    ours = MultiHeadAttention(**arguments)
    theirs(query, value, key=key)
    ours(query, value, key=key)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(
        ours(query, value, key=key),
        theirs(query, value, key=key),
        atol=TOLERANCE,
    )


def test_keras_masks_of_the_inputs_are_used_like_keras():
    ids = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 0]])
    embedded = keras.layers.Embedding(10, 8, mask_zero=True)
    hidden = embedded(ids)
    theirs, ours = _pair({"num_heads": 2, "key_dim": 4}, hidden, hidden)
    inputs = keras.Input((None,), dtype="int32")
    masked = embedded(inputs)
    outputs_theirs, scores_theirs = theirs(
        masked, masked, return_attention_scores=True
    )
    outputs_ours, scores_ours = ours(
        masked, masked, return_attention_scores=True
    )
    expected = keras.Model(inputs, [outputs_theirs, scores_theirs]).predict(
        ids, verbose=0
    )
    received = keras.Model(inputs, [outputs_ours, scores_ours]).predict(
        ids, verbose=0
    )
    for a, b in zip(received, expected):
        np.testing.assert_allclose(a, b, atol=TOLERANCE)
    # Keras' fused path (no scores) gives padded query rows uniform weights
    # where its own scores path gives zeros; the real rows agree.
    fused_theirs = keras.Model(inputs, theirs(masked, masked))
    fused_ours = keras.Model(inputs, ours(masked, masked))
    real = ids != 0
    np.testing.assert_allclose(
        fused_ours.predict(ids, verbose=0)[real],
        fused_theirs.predict(ids, verbose=0)[real],
        atol=TOLERANCE,
    )


def test_dropout_changes_training_outputs_but_not_inference():
    query = _random((2, 5, 8), 8)
    layer = MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5, seed=1)
    inference = layer(query, query, training=False)
    np.testing.assert_allclose(inference, layer(query, query), atol=0)
    training = layer(query, query, training=True)
    assert not np.allclose(training, inference)


def test_scores_rows_sum_to_one_and_causal_scores_are_lower_triangular():
    query = _random((2, 5, 8), 9)
    layer = MultiHeadAttention(num_heads=2, key_dim=4)
    _, scores = layer(
        query, query, use_causal_mask=True, return_attention_scores=True
    )
    scores = keras.ops.convert_to_numpy(scores)
    np.testing.assert_allclose(scores.sum(-1), 1.0, atol=1e-6)
    assert np.all(np.triu(scores, k=1) == 0.0)


def test_symbolic_call_gives_output_and_scores_shapes():
    query = keras.Input((5, 8))
    value = keras.Input((7, 6))
    layer = MultiHeadAttention(num_heads=3, key_dim=2, output_shape=4)
    outputs, scores = layer(query, value, return_attention_scores=True)
    assert tuple(outputs.shape) == (None, 5, 4)
    assert tuple(scores.shape) == (None, 3, 5, 7)


def test_config_round_trip_is_json_equal():
    layer = MultiHeadAttention(
        num_heads=3, key_dim=2, value_dim=5, dropout=0.1, output_shape=4, seed=7
    )
    config = layer.get_config()
    restored = MultiHeadAttention.from_config(config)
    assert json.dumps(restored.get_config(), sort_keys=True) == json.dumps(
        config, sort_keys=True
    )


@pytest.mark.parametrize(
    "arguments, error, message",
    [
        ({"num_heads": 0, "key_dim": 4}, ValueError, "`num_heads`"),
        ({"num_heads": -2, "key_dim": 4}, ValueError, "`num_heads`"),
        ({"num_heads": 2.0, "key_dim": 4}, TypeError, "`num_heads`"),
        ({"num_heads": 2, "key_dim": 0}, ValueError, "`key_dim`"),
        ({"num_heads": 2, "key_dim": "4"}, TypeError, "`key_dim`"),
        (
            {"num_heads": 2, "key_dim": 4, "value_dim": 0},
            ValueError,
            "value_dim",
        ),
        ({"num_heads": 2, "key_dim": 4, "dropout": 1.5}, ValueError, "dropout"),
        (
            {"num_heads": 2, "key_dim": 4, "output_shape": 0},
            ValueError,
            "output",
        ),
    ],
)
def test_bad_arguments_raise_naming_the_argument(arguments, error, message):
    with pytest.raises(error, match=message):
        MultiHeadAttention(**arguments)


def test_mismatched_key_and_value_lengths_raise():
    layer = MultiHeadAttention(num_heads=2, key_dim=4)
    with pytest.raises(ValueError, match=r"`key`.*6 steps.*`value`.*5"):
        layer(
            _random((2, 3, 8), 0),
            _random((2, 5, 8), 1),
            key=_random((2, 6, 8), 2),
        )


@pytest.mark.parametrize(
    "masks, message",
    [
        ({"attention_mask": np.ones((2, 4, 5), bool)}, "`attention_mask`"),
        ({"attention_mask": np.ones((2, 3, 4), bool)}, "`attention_mask`"),
        (
            {"attention_mask": np.ones((2, 1, 3, 5, 1), bool)},
            "`attention_mask`",
        ),
        ({"value_mask": np.ones((2, 4), bool)}, "`value_mask`"),
        ({"key_mask": np.ones((3, 5), bool)}, "`key_mask`"),
        ({"query_mask": np.ones((2, 5), bool)}, "`query_mask`"),
    ],
)
def test_masks_of_the_wrong_shape_raise(masks, message):
    layer = MultiHeadAttention(num_heads=2, key_dim=4)
    query, value = _random((2, 3, 8), 0), _random((2, 5, 8), 1)
    with pytest.raises(ValueError, match=message):
        layer(query, value, **masks)


def test_masks_of_the_wrong_shape_raise_when_building_a_model():
    query, value = keras.Input((3, 8)), keras.Input((5, 8))
    mask = keras.Input((4, 5), dtype="bool")
    with pytest.raises(ValueError, match="`attention_mask`"):
        MultiHeadAttention(num_heads=2, key_dim=4)(
            query, value, attention_mask=mask
        )


def test_mixed_bfloat16_scores_are_float32_and_outputs_close_to_float32():
    query = _random((2, 6, 8), 30)
    full = MultiHeadAttention(num_heads=2, key_dim=4)
    mixed = MultiHeadAttention(num_heads=2, key_dim=4, dtype="mixed_bfloat16")
    full(query, query)
    mixed(query, query)
    mixed.set_weights(full.get_weights())
    expected, expected_scores = full(
        query, query, use_causal_mask=True, return_attention_scores=True
    )
    outputs, scores = mixed(
        query, query, use_causal_mask=True, return_attention_scores=True
    )
    assert keras.backend.standardize_dtype(outputs.dtype) == "bfloat16"
    assert keras.backend.standardize_dtype(scores.dtype) == "float32"
    scores = keras.ops.convert_to_numpy(scores)
    np.testing.assert_allclose(scores.sum(-1), 1.0, atol=1e-6)
    np.testing.assert_allclose(scores, expected_scores, atol=2e-2)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(keras.ops.cast(outputs, "float32")),
        expected,
        atol=5e-2,
    )
    symbolic = keras.Input((6, 8))
    _, symbolic_scores = mixed(symbolic, symbolic, return_attention_scores=True)
    assert symbolic_scores.dtype == "float32"
