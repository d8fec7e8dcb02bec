import json

import numpy as np
import pytest

import tasks
from zoo.training import curriculum


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


def _train_lengths(task, batches=3):
    lengths = [
        mask.numpy().sum(axis=1)
        for _, _, mask in task.dataset("train", 64).take(batches)
    ]
    return np.concatenate(lengths).astype(int)


def test_every_curriculum_is_reachable_by_name():
    assert set(curriculum.CURRICULA) == {"none", "doubling", "combined"}
    task = tasks.get("copy")
    schedule = curriculum.make_curriculum("combined", task)
    assert isinstance(schedule, curriculum.CombinedCurriculum)


def test_combined_doubles_the_level_and_mixes_in_the_whole_range():
    task = tasks.get("copy", max_length=20)
    schedule = curriculum.CombinedCurriculum(task)
    assert task.difficulty == 2 and task.mix_probability == 0.2
    lengths = _train_lengths(task, batches=8)  # 512 sequences
    beyond = lengths > 2
    # About 20% from U(1, 20), of which 90% are longer than 2.
    assert 0.12 < beyond.mean() < 0.24
    assert lengths.max() > 10
    for expected in (2, 4, 8, 16, 20):
        logs = {"val_bit_errors_per_sequence": 0.5 if expected > 2 else 3.0}
        schedule.on_epoch_end(0, logs)
        assert task.difficulty == expected
        assert logs["curriculum_level"] == float(expected)


def test_combined_never_mixes_the_validation_split():
    task = tasks.get("copy", max_length=20, eval_size=64)
    curriculum.CombinedCurriculum(task, mix_probability=1.0)
    _, _, mask = next(iter(task.dataset("validation", 64)))
    assert mask.numpy().sum(axis=1).max() <= 2
    assert _train_lengths(task).max() > 2


def test_combined_state_round_trips_through_json():
    task = tasks.get("copy")
    schedule = curriculum.CombinedCurriculum(task, mix_probability=0.35)
    schedule.on_epoch_end(0, {"val_bit_errors_per_sequence": 0.0})
    state = json.loads(json.dumps(schedule.get_state()))
    assert state == {"difficulty": 4, "mix_probability": 0.35}
    other_task = tasks.get("copy")
    other = curriculum.make_curriculum("combined", other_task)
    assert (other_task.difficulty, other_task.mix_probability) == (2, 0.2)
    other.set_state(state)
    assert (other_task.difficulty, other_task.mix_probability) == (4, 0.35)
    np.testing.assert_array_equal(
        next(iter(task.dataset("train", 16)))[0],
        next(iter(other_task.dataset("train", 16)))[0],
    )


def test_combined_works_on_every_paper_task():
    for name in ("repeat_copy", "associative_recall"):
        task = tasks.get(name)
        schedule = curriculum.make_curriculum("combined", task)
        low, high = task.difficulty_range
        assert task.difficulty == min(high, max(low, 2))
        for _ in range(5):
            schedule.on_epoch_end(0, {"val_bit_errors_per_sequence": 0.0})
        assert task.difficulty == high


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_bad_mix_probability_raises_naming_it(value):
    with pytest.raises(ValueError, match="mix_probability"):
        curriculum.CombinedCurriculum(tasks.get("copy"), mix_probability=value)
    with pytest.raises(ValueError, match="mix_probability"):
        tasks.get("copy").set_mix_probability(value)
