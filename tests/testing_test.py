import keras

from testing import run_layer_test


def test_run_layer_test_accepts_a_dense_layer():
    layer = run_layer_test(
        keras.layers.Dense,
        {"units": 3},
        input_shape=(2, 4),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=2,
    )
    assert layer.built
