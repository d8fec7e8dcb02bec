"""Test settings: the TensorFlow backend, quiet logs, fixed seeds."""

import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
if os.environ["KERAS_BACKEND"] == "jax":
    # Every test compiles small XLA programs: cheap compiles beat fast code.
    os.environ.setdefault(
        "XLA_FLAGS",
        "--xla_backend_optimization_level=0 "
        "--xla_llvm_disable_expensive_passes=true",
    )

import keras  # noqa: E402
import pytest  # noqa: E402

SHARED_DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data"
TESTS = pathlib.Path(__file__).resolve().parent
# The second pass of the test command (`KERAS_BACKEND=jax pytest`) runs
# these: the zoo on JAX, the TensorFlow-free benchmark, and the layer-free
# parts of `ntm_keras` (the layers run under JAX through the zoo test).
JAX_TESTS = ("jax_backend",) + tuple(
    f"ntm_keras/{name}_test.py"
    for name in (
        "addressing",
        "dnc_addressing",
        "losses",
        "metrics",
        "optimizers",
        "schedules",
        "validation",
        "bayes_optimal_metric",
        "question_error_rate",
        "scaled_dot_product_attention",
    )
)


def pytest_ignore_collect(collection_path, config):
    """Under JAX, collects only `JAX_TESTS` (and the folders above them)."""
    if os.environ["KERAS_BACKEND"] != "jax":
        return None
    path = pathlib.Path(collection_path).resolve()
    if path == TESTS or not path.is_relative_to(TESTS):
        return None
    relative = path.relative_to(TESTS).as_posix()
    keep = any(
        relative == wanted
        or relative.startswith(wanted + "/")
        or wanted.startswith(relative + "/")
        for wanted in JAX_TESTS
    )
    return None if keep else True


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(1234)


@pytest.fixture
def shared_data():
    """The shared data directory, or a skip saying why it is missing."""
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data directory {SHARED_DATA} does not exist")
    return SHARED_DATA
