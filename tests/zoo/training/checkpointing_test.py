"""The run checkpoint's choice of the best model under a curriculum."""

import tasks
import zoo
from zoo.training import checkpointing, run_files


def _epoch(callback, task, epoch, val_loss, *, raise_to=None):
    callback.on_epoch_begin(epoch)
    if raise_to is not None:  # the curriculum acts at the end of the epoch
        task.set_difficulty(raise_to)
    callback.on_epoch_end(epoch, {"val_loss": val_loss})


def test_best_is_judged_at_the_difficulty_the_epoch_was_validated_at(
    tmp_path,
):
    task = tasks.get("copy", max_length=8)
    task.set_difficulty(2)
    model = zoo.get("lstm_tiny", task=task, units=4)
    callback = checkpointing.RunCheckpoint(tmp_path, task=task)
    callback.set_model(model)
    # Validated at 2 (loss 0.5), then the curriculum raises the level to 4.
    _epoch(callback, task, 0, 0.5, raise_to=4)
    assert callback.best == {"difficulty": 2, "value": 0.5, "epoch": 1}
    # The first epoch validated at 4 is the best, although its loss is
    # higher: longer sequences cost more.
    _epoch(callback, task, 1, 3.0)
    assert callback.best == {"difficulty": 4, "value": 3.0, "epoch": 2}
    _epoch(callback, task, 2, 3.5)
    assert callback.best["epoch"] == 2
    _epoch(callback, task, 3, 2.5)
    assert callback.best["epoch"] == 4
    state = run_files.read_json(tmp_path / checkpointing.LAST_FILE)
    assert state["best"] == callback.best
    assert state["difficulty"] == 4


def test_each_state_records_what_the_caller_asks_at_its_epoch(tmp_path):
    task = tasks.get("copy", max_length=8)
    model = zoo.get("lstm_tiny", task=task, units=4)
    seen = []
    callback = checkpointing.RunCheckpoint(
        tmp_path, task=task, record=lambda: {"seen": list(seen)}
    )
    callback.set_model(model)
    for epoch, loss in enumerate((0.5, 0.4)):
        seen.append(loss)
        _epoch(callback, task, epoch, loss)
        state = run_files.read_json(tmp_path / checkpointing.LAST_FILE)
        assert state["record"] == {"seen": seen}
    # The state to fall back to keeps the record of its own epoch.
    assert state["previous"]["record"] == {"seen": [0.5]}
    plain = checkpointing.RunCheckpoint(tmp_path / "plain", task=task)
    plain.set_model(model)
    _epoch(plain, task, 0, 0.5)
    state = run_files.read_json(tmp_path / "plain" / checkpointing.LAST_FILE)
    assert state["record"] is None
