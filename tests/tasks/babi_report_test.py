"""The bAbI error table against a hand count, with a fake model."""

import numpy as np
import pytest
from babi_testing import babi_data_dir

import tasks
from tasks.language import babi_report


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    return tasks.get(
        "babi",
        tasks=(1, 8, 19),
        data_dir=str(babi_data_dir(tmp_path_factory.mktemp("data"))),
        tfds_dir=str(tmp_path_factory.mktemp("tfds")),
    )


class FakeModel:
    """Answers from a table of the split's questions, with planted errors.

    `mistakes` maps a question (its input words without padding) to the
    answer steps to get wrong; every unscored step is wrong, which must
    not count.
    """

    def __init__(self, task, mistakes):
        self.task = task
        self.mistakes = mistakes
        self.answers = {}
        for inputs, targets, _, _ in task.question_dataset("test", 2):
            for row, target in zip(inputs.numpy(), targets.numpy()):
                self.answers[self.words(row)] = target[: np.count_nonzero(row)]

    def words(self, row):
        return " ".join(w for w in self.task.decode(row) if w != "[PAD]")

    def __call__(self, inputs):
        inputs = np.asarray(inputs)
        size = self.task.spec.output_dim
        logits = np.zeros(inputs.shape + (size,), "float32")
        for row_index, row in enumerate(inputs):
            key = self.words(row)
            target = np.zeros(inputs.shape[1], "int64")
            known = self.answers[key]
            target[: len(known)] = known
            predicted = np.where(target == 0, 1, target)  # unscored: wrong
            answer_steps = np.flatnonzero(target)
            for step in self.mistakes.get(key, ()):
                index = answer_steps[step]
                predicted[index] = (predicted[index] % (size - 3)) + 3
                assert predicted[index] != target[index]
            logits[row_index, np.arange(len(row)), predicted] = 5.0
        return logits


LENA = "lena ran to the porch . anna went to the cellar . where is lena ? -"
TOM_CARRIES = (
    "tom took the rope there . tom took the lamp there . what is tom "
    "carrying ? - -"
)


@pytest.mark.parametrize("batch_size", [1, 2, 64])
def test_error_table_matches_a_hand_count(task, batch_size):
    # Task 1: 1 of 3 questions wrong. Task 8: the second answer word of its
    # one question wrong, so the question is wrong. Task 19: all right.
    model = FakeModel(task, {LENA: (0,), TOM_CARRIES: (1,)})
    table = babi_report.error_table(model, task, "test", batch_size=batch_size)
    assert table.counts == {1: 3, 8: 1, 19: 1}
    assert table.errors == {1: 1 / 3, 8: 1.0, 19: 0.0}
    assert table.mean_error == pytest.approx((1 / 3 + 1.0) / 3)
    assert table.num_failed == 2
    text = babi_report.format_error_table(table)
    assert "lists-sets" in text and "100.0%  failed" in text
    assert "44.4%" in text and "2 of 3" in text


def test_a_perfect_model_has_no_error_and_no_failed_task(task):
    table = babi_report.error_table(FakeModel(task, {}), task, "test")
    assert table.errors == {1: 0.0, 8: 0.0, 19: 0.0}
    assert (table.mean_error, table.num_failed) == (0.0, 0)
    assert table.as_dict()["errors"] == {"1": 0.0, "8": 0.0, "19": 0.0}


def test_error_table_rejects_a_task_that_is_not_babi():
    with pytest.raises(TypeError, match="`task`"):
        babi_report.error_table(None, tasks.get("copy"), "test")
