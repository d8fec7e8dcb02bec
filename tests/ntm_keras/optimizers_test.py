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
        learning_rate=0.01, global_clipnorm=50.0, spike_factor=10.0
    )
    restored = keras.optimizers.deserialize(
        keras.optimizers.serialize(optimizer)
    )
    assert isinstance(restored, optimizers.MonitoredAdam)
    assert restored.get_config() == optimizer.get_config()


def _steps(optimizer, variable, norms):
    for norm in norms:
        optimizer.apply([np.array([norm, 0.0])], [variable])


def test_a_spike_is_taken_as_a_zero_gradient_and_not_averaged():
    warmup = optimizers.monitored_adam.SPIKE_WARMUP_STEPS
    ours, theirs = keras.Variable(np.ones(2)), keras.Variable(np.ones(2))
    skipping = optimizers.MonitoredAdam(learning_rate=0.1, spike_factor=10.0)
    adam = optimizers.MonitoredAdam(learning_rate=0.1)
    _steps(skipping, ours, [1.0] * warmup)
    _steps(adam, theirs, [1.0] * warmup)
    # The average of equal norms is that norm (the warm-up bias removed).
    average = float(skipping.norm_average) / (
        1 - optimizers.monitored_adam.SPIKE_AVERAGE_DECAY**warmup
    )
    assert average == pytest.approx(1.0, rel=1e-5)
    # 10.5 times the average: a spike, taken as Adam takes a zero gradient.
    _steps(skipping, ours, [10.5])
    _steps(adam, theirs, [0.0])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert float(skipping.spikes_skipped) == 1.0
    assert float(skipping.gradient_norm) == pytest.approx(10.5)  # as seen
    assert float(skipping.steps_averaged) == warmup
    # 9.5 times: taken as it is.
    _steps(skipping, ours, [9.5])
    _steps(adam, theirs, [9.5])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert float(skipping.spikes_skipped) == 1.0
    # A NaN gradient is a spike too: the weights stay finite.
    _steps(skipping, ours, [np.nan])
    assert np.all(np.isfinite(ours.numpy()))
    assert float(skipping.spikes_skipped) == 2.0


def test_no_step_is_a_spike_during_the_warm_up():
    variable = keras.Variable(np.ones(2))
    optimizer = optimizers.MonitoredAdam(spike_factor=2.0)
    _steps(optimizer, variable, [1.0, 1000.0, 1.0])
    assert float(optimizer.spikes_skipped) == 0.0
    assert float(optimizer.steps_averaged) == 3.0


def test_without_a_spike_factor_there_is_no_spike_state():
    optimizer = optimizers.MonitoredAdam()
    optimizer.build([keras.Variable(np.ones(2))])
    assert not hasattr(optimizer, "spikes_skipped")
    assert optimizer.get_config()["spike_factor"] == 0.0


@pytest.mark.parametrize(
    "factor, error, message",
    [
        (0.5, ValueError, "expected a factor > 1"),
        (1.0, ValueError, "expected a factor > 1"),
        (-2.0, ValueError, "spike_factor"),
        ("10", TypeError, "spike_factor"),
        (float("nan"), ValueError, "spike_factor"),
    ],
)
def test_a_bad_spike_factor_is_named(factor, error, message):
    with pytest.raises(error, match=message):
        optimizers.MonitoredAdam(spike_factor=factor)


def test_the_spike_state_trains_compiled_and_comes_back_from_a_file(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(
        optimizer=optimizers.MonitoredAdam(spike_factor=10.0),
        loss="mse",
        jit_compile=True,
    )
    x = np.ones((8, 3), "float32")
    model.fit(x, np.zeros((8, 2)), batch_size=4, epochs=2, verbose=0)
    assert float(model.optimizer.steps_averaged) == 4.0
    model.save(tmp_path / "model.keras")
    restored = keras.saving.load_model(tmp_path / "model.keras")
    assert restored.optimizer.spike_factor == 10.0
    assert float(restored.optimizer.steps_averaged) == 4.0
    assert float(restored.optimizer.norm_average) == pytest.approx(
        float(model.optimizer.norm_average)
    )


def test_the_rate_can_still_be_given_first():
    optimizer = optimizers.MonitoredAdam(0.25, spike_factor=3.0)
    assert float(optimizer.learning_rate) == 0.25
    assert optimizer.spike_factor == 3.0
