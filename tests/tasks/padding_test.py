import numpy as np
import pytest

import tasks
from tasks import padding


def test_bucketing_pads_time_to_a_multiple_and_keeps_the_data():
    task = tasks.get("copy", max_length=6, eval_size=32)
    plain = list(task.dataset("test", 8))
    bucketed = list(padding.bucket_by_time(task.dataset("test", 8), 8))
    for original, padded in zip(plain, bucketed):
        time = original[0].shape[1]
        assert padded[0].shape[1] % 8 == 0
        assert padded[0].shape[1] - time < 8
        for a, b in zip(original, padded):
            np.testing.assert_array_equal(b.numpy()[:, :time], a.numpy())
            assert np.all(b.numpy()[:, time:] == 0)


def test_bucketing_works_on_the_lazy_train_stream():
    task = tasks.get("copy", max_length=6)
    batch = next(iter(padding.bucket_by_time(task.dataset("train", 4), 16)))
    assert batch[2].shape[1] == 16


def test_bad_multiple_raises():
    with pytest.raises(ValueError, match="multiple"):
        padding.bucket_by_time(tasks.get("copy").dataset("test"), 0)
