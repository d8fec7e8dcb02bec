import pytest

import tasks
from zoo import curriculum


def test_doubling_starts_short_and_doubles_below_threshold():
    task = tasks.get("copy", max_length=20)
    schedule = curriculum.DoublingCurriculum(task)
    assert task.difficulty == 2
    logs = {"val_bit_errors_per_sequence": 3.0}
    schedule.on_epoch_end(0, logs)
    assert task.difficulty == 2 and logs["curriculum_level"] == 2.0
    for expected in (4, 8, 16, 20, 20):
        logs = {"val_bit_errors_per_sequence": 0.5}
        schedule.on_epoch_end(0, logs)
        assert task.difficulty == expected
        assert logs["curriculum_level"] == float(expected)


def test_curriculum_state_round_trip():
    task = tasks.get("copy", max_length=20)
    schedule = curriculum.DoublingCurriculum(task)
    schedule.on_epoch_end(0, {"val_bit_errors_per_sequence": 0.0})
    state = schedule.get_state()
    other_task = tasks.get("copy", max_length=20)
    other = curriculum.DoublingCurriculum(other_task)
    other.set_state(state)
    assert other_task.difficulty == task.difficulty == 4


def test_no_curriculum_keeps_full_difficulty_and_logs_it():
    task = tasks.get("copy", max_length=7)
    logs = {}
    curriculum.make_curriculum("none", task).on_epoch_end(0, logs)
    assert task.difficulty == 7 and logs["curriculum_level"] == 7.0


def test_missing_monitor_and_unknown_curriculum_raise():
    task = tasks.get("copy")
    with pytest.raises(ValueError, match="val_bit_errors_per_sequence"):
        curriculum.DoublingCurriculum(task).on_epoch_end(0, {"loss": 1.0})
    with pytest.raises(ValueError, match=r"`curriculum`.*'doubling'"):
        curriculum.make_curriculum("doubeling", task)
