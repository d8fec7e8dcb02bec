import keras
import numpy as np
import pytest

from ntm_keras import optimizers


def test_monitored_adam_records_the_unclipped_global_norm():
    variables = [keras.Variable(np.zeros(3)), keras.Variable(np.zeros(2))]
    optimizer = optimizers.MonitoredAdam(global_clipnorm=1.0)
    grads = [np.array([3.0, 0.0, 0.0]), np.array([0.0, 4.0])]
    optimizer.apply(grads, variables)
    assert float(optimizer.gradient_norm) == pytest.approx(5.0)


def test_monitored_adam_steps_like_adam():
    ours = keras.Variable(np.ones(4))
    theirs = keras.Variable(np.ones(4))
    grads = [np.array([0.1, -0.2, 0.3, 0.0])]
    optimizers.MonitoredAdam(learning_rate=0.1).apply(grads, [ours])
    keras.optimizers.Adam(learning_rate=0.1).apply(grads, [theirs])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-7)


def test_monitored_adam_config_round_trip():
    optimizer = optimizers.MonitoredAdam(
        learning_rate=0.01, global_clipnorm=50.0
    )
    restored = keras.optimizers.deserialize(
        keras.optimizers.serialize(optimizer)
    )
    assert isinstance(restored, optimizers.MonitoredAdam)
    assert restored.get_config() == optimizer.get_config()
