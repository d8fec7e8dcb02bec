import json

import keras
import numpy as np
import pytest

from ntm_keras.schedules import InverseSquareRootSchedule


def test_matches_the_paper_formula():
    schedule = InverseSquareRootSchedule(model_dim=512, warmup_steps=4000)
    for iteration in (0, 10, 3999, 4000, 20000):
        step = iteration + 1
        expected = 512**-0.5 * min(step**-0.5, step * 4000**-1.5)
        assert float(schedule(iteration)) == pytest.approx(expected, rel=1e-5)


def test_rises_linearly_then_decays_and_peaks_at_the_end_of_warmup():
    schedule = InverseSquareRootSchedule(
        model_dim=64, warmup_steps=100, scale=2
    )
    rates = np.array([float(schedule(i)) for i in range(400)])
    assert int(np.argmax(rates)) == 99
    assert rates[99] == pytest.approx(schedule.peak_learning_rate(), rel=1e-5)
    np.testing.assert_allclose(
        rates[:100] / rates[0], np.arange(1, 101), rtol=1e-4
    )
    assert np.all(np.diff(rates[100:]) < 0)


def test_serialization_round_trip_through_json():
    schedule = InverseSquareRootSchedule(model_dim=32, warmup_steps=10)
    text = json.dumps(keras.saving.serialize_keras_object(schedule))
    restored = keras.saving.deserialize_keras_object(json.loads(text))
    assert isinstance(restored, InverseSquareRootSchedule)
    assert restored.get_config() == schedule.get_config()


@pytest.mark.parametrize(
    "arguments", [{"model_dim": 0}, {"model_dim": 8, "warmup_steps": 0}]
)
def test_bad_arguments_raise(arguments):
    with pytest.raises(ValueError, match="model_dim|warmup_steps"):
        InverseSquareRootSchedule(**arguments)
