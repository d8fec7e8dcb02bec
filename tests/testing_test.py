import keras

from testing import REPOSITORY, load_benchmark, run_layer_test


def test_run_layer_test_accepts_a_dense_layer():
    layer = run_layer_test(
        keras.layers.Dense,
        {"units": 3},
        input_shape=(2, 4),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=2,
    )
    assert layer.built


def test_load_benchmark_imports_the_script_once_from_benchmarks():
    module = load_benchmark("profiling")
    assert module.__file__ == str(REPOSITORY / "benchmarks" / "profiling.py")
    assert load_benchmark("profiling") is module
