"""The learning rate's fall over a run: values, options and resume."""

import json

import keras
import pytest

from zoo import registry, training
from zoo.training import decay

SMALL_COPY = {"max_length": 3, "eval_size": 32}


def test_cosine_decay_falls_from_the_peak_to_the_floor():
    rate = decay.cosine_decay(4e-3, epochs=5, floor=0.1).schedule
    assert rate(0, 4e-3) == pytest.approx(4e-3)
    # The rate depends on the epoch only, not on the rate Keras passes in.
    assert rate(2, 1e-9) == pytest.approx(4e-3 * (0.1 + 0.9 * 0.5))
    assert rate(4, 1e-9) == pytest.approx(4e-4)
    assert rate(9, 1e-9) == pytest.approx(4e-4)


def test_a_delayed_cosine_decay_holds_the_peak_until_its_start():
    # 11 epochs, the fall starting at 60%: epochs 0-6 at the peak, then a
    # half cosine over epochs 6-10.
    rate = decay.cosine_decay(4e-3, epochs=11, floor=0.1, start=0.6)
    rate = rate.schedule
    assert [rate(e, 0.0) for e in range(7)] == pytest.approx([4e-3] * 7)
    assert rate(8, 0.0) == pytest.approx(4e-3 * (0.1 + 0.9 * 0.5))
    assert rate(10, 0.0) == pytest.approx(4e-4)


def test_no_decay_makes_no_callback():
    assert decay.make_decay("none", 1e-3, 10, start=0.6, floor=0.1) is None


@pytest.mark.parametrize(
    "options, named",
    [
        ({"decay": "linear"}, "decay"),
        ({"decay_start": 1.5}, "decay_start"),
        ({"decay_floor": -0.1}, "decay_floor"),
        ({"decay_floor": float("nan")}, "decay_floor"),
    ],
)
def test_a_bad_decay_option_is_refused_naming_it(options, named):
    with pytest.raises(ValueError, match=f"`{named}`: received"):
        training.make_config("lstm_tiny", "copy", **options)


def test_ntm_sorts_priorities_with_the_falling_rate_by_default():
    assert registry.task_defaults("ntm", "priority_sort") == {
        "batch_size": 16,
        "steps_per_epoch": 200,
        "learning_rate": 4e-3,
        "decay": "cosine",
        "decay_start": 0.6,
        "decay_floor": 0.1,
    }
    config = training.make_config("ntm", "priority_sort")["training"]
    assert (config["decay"], config["decay_start"]) == ("cosine", 0.6)
    # Elsewhere the rate stays constant unless asked.
    assert training.make_config("ntm", "copy")["training"]["decay"] == "none"
    config = training.make_config("ntm", "priority_sort", decay="none")
    assert config["training"]["decay"] == "none"


class _Rates(keras.callbacks.Callback):
    """Records the optimizer's rate during each epoch."""

    def __init__(self):
        super().__init__()
        self.rates = []

    def on_epoch_end(self, epoch, logs=None):
        self.rates.append(float(self.model.optimizer.learning_rate))


class _StopAfter(keras.callbacks.Callback):
    def __init__(self, epochs):
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 >= self.epochs:
            self.model.stop_training = True


def _falling_run(log_dir, epochs, callbacks=None):
    """A tiny run at 1e-2 whose rate falls over `epochs` of 2 steps."""
    return training.train(
        "lstm_tiny",
        "copy",
        overrides=SMALL_COPY,
        log_dir=log_dir,
        verbose=0,
        callbacks=callbacks,
        epochs=epochs,
        steps_per_epoch=2,
        learning_rate=1e-2,
        decay="cosine",
    )


def test_a_run_falls_epoch_by_epoch_and_resumes_on_the_same_rates(tmp_path):
    expected = decay.cosine_decay(1e-2, epochs=4, floor=0.1).schedule
    expected = [expected(epoch, None) for epoch in range(4)]
    first, second = _Rates(), _Rates()
    run_dir = _falling_run(tmp_path, 4, callbacks=[first, _StopAfter(2)])
    assert first.rates == pytest.approx(expected[:2])
    training.resume(run_dir, verbose=0, callbacks=[second])
    assert second.rates == pytest.approx(expected[2:])
    logged = json.loads((run_dir / "metrics.json").read_text())["last_epoch"]
    assert logged["learning_rate"] == pytest.approx(1e-3)
    config = json.loads((run_dir / "config.json").read_text())["training"]
    assert (config["decay"], config["decay_floor"]) == ("cosine", 0.1)


def test_a_resume_to_more_epochs_stretches_the_fall_over_them(tmp_path):
    run_dir = _falling_run(tmp_path, 2)
    rates = _Rates()
    training.resume(run_dir, epochs=4, verbose=0, callbacks=[rates])
    longer = decay.cosine_decay(1e-2, epochs=4, floor=0.1).schedule
    assert rates.rates == pytest.approx([longer(2, None), longer(3, None)])


def test_a_fall_under_the_warm_up_schedule_is_refused_before_the_run(tmp_path):
    with pytest.raises(ValueError, match="`decay`: received 'cosine'"):
        training.train(
            "transformer_lm_tiny",
            "copy",
            log_dir=tmp_path,
            verbose=0,
            epochs=1,
            steps_per_epoch=1,
            decay="cosine",
        )
    assert not any(tmp_path.iterdir())
