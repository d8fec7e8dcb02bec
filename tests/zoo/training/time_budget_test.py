"""`--max-minutes`, the validation subset and the inspection option."""

import json

import pytest

import tasks
import zoo
from tasks.language import tiny_shakespeare
from zoo import training
from zoo.tensorboard.attention_maps import AttentionMapLogger
from zoo.tensorboard.text_samples import TextSampleLogger
from zoo.training.callbacks import RunTimer, TimeBudget, callbacks

TEXT = "to be or not to be, that is the question.\n" * 20


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class FakeModel:
    stop_training = False


def _epochs_until_stop(durations, max_minutes):
    clock = FakeClock()
    budget = TimeBudget(max_minutes, clock=clock)
    budget.set_model(FakeModel())
    budget.on_train_begin()
    for epoch, seconds in enumerate(durations):
        budget.on_epoch_begin(epoch)
        clock.now += seconds
        budget.on_epoch_end(epoch)
        if budget.model.stop_training:
            return epoch + 1
    return len(durations)


def test_time_budget_stops_before_an_epoch_that_would_not_fit():
    # 1-minute epochs, 3.5 minutes: three fit, the fourth would end at 4.
    assert _epochs_until_stop([60.0] * 10, 3.5) == 3
    # Exactly four minutes fit four one-minute epochs.
    assert _epochs_until_stop([60.0] * 10, 4.0) == 4
    # The longest epoch so far is the estimate: after a 2-minute epoch,
    # 1 + 2 = 3 minutes used and 2 more would pass 4.5.
    assert _epochs_until_stop([60.0, 120.0, 60.0, 60.0], 4.5) == 2
    assert _epochs_until_stop([60.0] * 3, 100.0) == 3
    # A slow first epoch (tracing) stops counting once others exist: after
    # 3 + 1 + 1 + 1 = 6 minutes one more minute would pass 6.5 (counting
    # the 3-minute epoch would have stopped after 3 + 1 minutes).
    assert _epochs_until_stop([180.0, 60.0, 60.0, 60.0, 60.0], 6.5) == 4


def test_validation_steps_default_to_a_tenth_of_the_steps():
    assert training.resolve_validation_steps(None, 250) == 25
    assert training.resolve_validation_steps(None, 5) == 1
    assert training.resolve_validation_steps(0, 250) == 0
    assert training.resolve_validation_steps(7, 250) == 7


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("max_minutes", 0, "max_minutes"),
        ("max_minutes", "soon", "max_minutes"),
        ("inspect_every", -1, "inspect_every"),
        ("validation_steps", 1.5, "validation_steps"),
        ("jit_compile", "off", r"`jit_compile`.*'off'.*True or False"),
        ("amsgrad", 1, r"`amsgrad`.*True or False"),
    ],
)
def test_bad_options_are_refused(option, value, message):
    with pytest.raises((ValueError, TypeError), match=message):
        training.make_config("lstm_tiny", "copy", **{option: value})


@pytest.fixture
def language_task(monkeypatch):
    monkeypatch.setattr(
        tiny_shakespeare,
        "load_texts",
        lambda *_: {"train": TEXT, "validation": TEXT, "test": TEXT},
    )
    return tasks.get("tiny_shakespeare", context_length=8)


@pytest.mark.parametrize("inspect_every, expected", [(None, 2), (2, 2), (0, 0)])
def test_inspect_every_zero_drops_the_text_and_attention_loggers(
    language_task, tmp_path, inspect_every, expected
):
    model = zoo.get("transformer_lm_tiny", task=language_task)
    found = callbacks(
        tmp_path, task=language_task, model=model, inspect_every=inspect_every
    )
    loggers = [
        c
        for c in found
        if isinstance(c, (TextSampleLogger, AttentionMapLogger))
    ]
    assert len(loggers) == expected
    if loggers:
        assert loggers[0].schedule is loggers[1].schedule
        assert loggers[0].schedule.every == inspect_every


def test_a_run_stops_cleanly_at_max_minutes(language_task, tmp_path):
    run_dir = training.train(
        "transformer_lm_tiny",
        "tiny_shakespeare",
        overrides={"context_length": 8},
        log_dir=tmp_path,
        verbose=0,
        epochs=50,
        steps_per_epoch=2,
        batch_size=4,
        max_minutes=1e-6,
        inspect_every=0,
    )
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["epochs"] == 1
    assert "max_minutes" in metrics["stopped_early"]
    last = json.loads((run_dir / "checkpoints" / "last.json").read_text())
    assert last["epoch"] == 1
    # The whole validation split at the end, beside the test split.
    assert set(metrics["validation"]) == set(metrics["test"])
    assert metrics["validation"]["loss"] > 0
    config = json.loads((run_dir / "config.json").read_text())
    assert config["training"]["max_minutes"] == 1e-6
    assert metrics["timing"]["epochs"] == 1
    assert metrics["timing"]["training_seconds"] > 0


def test_run_timer_splits_epochs_into_training_and_the_rest():
    clock = FakeClock()
    timer = RunTimer(clock=clock)
    for epoch, (train, rest) in enumerate([(10.0, 1.0), (4.0, 0.5)]):
        timer.on_epoch_begin(epoch)
        for _ in range(4):
            clock.now += train / 4
            timer.on_train_batch_end(0)
        clock.now += rest  # validation, samples, checkpoint
        timer.on_epoch_end(epoch)
    summary = timer.summary()
    assert summary["epochs"] == 2
    assert summary["training_seconds"] == 14.0
    assert summary["first_epoch_training_seconds"] == 10.0
    assert summary["validation_and_callbacks_seconds"] == 1.5
    assert summary["validation_and_callbacks_per_training"] == round(
        1.5 / 14.0, 4
    )
    assert summary["median_epoch_training_seconds_after_the_first"] == 4.0
