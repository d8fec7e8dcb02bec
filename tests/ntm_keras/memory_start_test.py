"""The memory's starting values, shared by `NTMCell` and `DNCCell`."""

import math

import keras
import numpy as np
import pytest

from ntm_keras.memory import DNCCell, NTMCell, memory_start

SIZES = {"controller_units": 6, "memory_size": 16, "word_size": 4}


def _initial_memory(cell, batch_size=3):
    if not cell.built:
        cell.build((None, 5))
    memory = cell.get_initial_state(batch_size=batch_size)[0]
    return keras.ops.convert_to_numpy(memory).reshape(batch_size, 16, 4)


@pytest.mark.parametrize("cell_class", [NTMCell, DNCCell])
def test_a_random_start_is_bounded_and_new_for_every_sequence(cell_class):
    cell = cell_class(memory_init="random", seed=7, **SIZES)
    first, second = _initial_memory(cell), _initial_memory(cell)
    limit = 1 / math.sqrt(16 + 4)
    assert memory_start.random_bound(16, 4) == pytest.approx(limit)
    assert np.abs(first).max() <= limit
    # Spread over the whole range: uniform, not a constant.
    assert first.std() == pytest.approx(limit / math.sqrt(3), rel=0.2)
    assert not np.allclose(first[0], first[1])  # per sequence
    assert not np.allclose(first, second)  # per call
    # The same seed gives the same sequence of draws.
    again = cell_class(memory_init="random", seed=7, **SIZES)
    np.testing.assert_array_equal(_initial_memory(again), first)


@pytest.mark.parametrize("cell_class", [NTMCell, DNCCell])
def test_the_constant_start_is_the_default(cell_class):
    memory = _initial_memory(cell_class(**SIZES))
    np.testing.assert_array_equal(
        memory, np.full_like(memory, memory_start.MEMORY_CONSTANT)
    )


def test_dnc_memory_init_round_trips_and_rejects_unknown_starts():
    cell = DNCCell(memory_init="random", seed=2, **SIZES)
    config = cell.get_config()
    assert config["memory_init"] == "random"
    assert DNCCell.from_config(config).get_config() == config
    with pytest.raises(ValueError, match=r"memory_init.*'random'"):
        DNCCell(memory_init="learned", **SIZES)
