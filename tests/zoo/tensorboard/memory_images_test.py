"""`MemoryImages`: an NTM's or a DNC's pictures and scalars, bits and tokens."""

import numpy as np
import pytest
from babi_testing import train_babi_run

import zoo
from testing import event_tags, read_events
from zoo.tensorboard.memory_images import MemoryImages, probe_example
from zoo.tensorboard.writer import InspectionSchedule


class TokenTask:
    """A task whose test split is one padded batch of token ids."""

    def dataset(self, split, batch_size):
        inputs = np.array([[5, 6, 7, 0, 0, 0], [5, 6, 7, 8, 9, 0]])
        targets = np.array([[0, 0, 3, 0, 0, 0], [0, 0, 0, 4, 4, 0]])
        mask = (targets != 0).astype("float32")
        return iter([(inputs, targets, mask)])


def test_probe_of_a_token_task_is_the_row_with_most_answers_cut_to_length():
    inputs, targets, mask = probe_example(TokenTask())
    np.testing.assert_array_equal(inputs, [[5, 6, 7, 8, 9]])
    np.testing.assert_array_equal(targets, [[0, 0, 0, 4, 4]])
    np.testing.assert_array_equal(mask, [[0, 0, 0, 1, 1]])


def test_a_token_probe_is_traced_only_at_the_scheduled_epochs(tmp_path):
    model = zoo.get("dnc_tiny", modality="tokens", input_dim=10, output_dim=10)
    probe = (
        np.array([[5, 6, 7, 8, 9]]),
        np.array([[0, 0, 0, 0, 4]]),
        np.array([[0, 0, 0, 0, 1.0]]),
    )
    logger = MemoryImages(tmp_path, probe, schedule=InspectionSchedule(2))
    logger.set_model(model)
    logger.on_train_begin()
    first, second = {}, {}
    logger.on_epoch_end(0, first)
    logger.on_epoch_end(1, second)
    logger.on_train_end()
    assert first == {}
    assert 0.0 <= second["memory_mean_write_gate"] <= 1.0
    assert second["memory_nonfinite_count"] == 0.0
    assert 0.0 <= second["memory_mean_usage"] <= 1.0
    images = read_events(tmp_path / "train").Tensors("memory/probe")
    assert [image.step for image in images] == [1]


def test_scalars_without_pictures(tmp_path):
    model = zoo.get("dnc_tiny", modality="tokens", input_dim=8, output_dim=8)
    probe = (
        np.array([[1, 2, 3]]),
        np.array([[0, 0, 2]]),
        np.array([[0, 0, 1]]),
    )
    logger = MemoryImages(tmp_path, probe, pictures=False)
    logger.set_model(model)
    logs = {}
    logger.on_epoch_end(0, logs)
    assert "memory_mean_allocation_gate" in logs
    assert not (tmp_path / "train").exists()


@pytest.fixture(scope="module")
def dnc_babi_run(tmp_path_factory):
    return train_babi_run(tmp_path_factory, "dnc_tiny", "1")


def test_a_dnc_on_babi_shows_its_memory_in_tensorboard(dnc_babi_run):
    names = event_tags(dnc_babi_run / "logs" / "train")
    assert "memory/probe" in names
    for scalar in (
        "epoch_memory_mean_write_gate",
        "epoch_memory_mean_allocation_gate",
        "epoch_memory_mean_usage",
        "epoch_memory_read_entropy",
    ):
        assert scalar in names
