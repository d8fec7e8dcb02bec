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


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(1234)


@pytest.fixture
def shared_data():
    """The shared data directory, or a skip saying why it is missing."""
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data directory {SHARED_DATA} does not exist")
    return SHARED_DATA
