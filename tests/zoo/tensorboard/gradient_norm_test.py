"""The epoch's gradient norm and the spikes skipped, in the logs."""

import keras
import numpy as np
import pytest

from ntm_keras import optimizers
from zoo.tensorboard.gradient_norm import GradientNormLogger


def _fit(optimizer):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    x = np.ones((8, 3), "float32")
    history = model.fit(
        x,
        np.full((8, 1), 2.0),
        batch_size=4,
        epochs=2,
        callbacks=[GradientNormLogger()],
        verbose=0,
    )
    return model, history.history


def test_the_epoch_s_mean_norm_and_the_spikes_skipped_are_logged():
    model, logs = _fit(optimizers.MonitoredAdam(spike_factor=10.0))
    # Two steps an epoch, of equal inputs: the norm of the last step is
    # close to the epoch's mean (the weights move by 1e-3 a step).
    assert logs["gradient_norm"][1] == pytest.approx(
        float(model.optimizer.gradient_norm), rel=0.01
    )
    # In the warm-up no step is a spike.
    assert logs["spikes_skipped"] == [0.0, 0.0]


def test_without_spike_skipping_no_count_is_logged():
    _, logs = _fit(optimizers.MonitoredAdam())
    assert "spikes_skipped" not in logs and len(logs["gradient_norm"]) == 2
