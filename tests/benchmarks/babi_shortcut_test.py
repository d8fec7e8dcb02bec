import numpy as np
from babi_testing import babi_data_dir

import tasks
from benchmarks import babi_shortcut
from tasks.language import babi_task1_rules


class ShortcutModel:
    """Answers every question with the last place mentioned, as logits."""

    def __init__(self, task):
        self.task = task

    def predict(self, inputs, verbose=0):
        inputs = np.asarray(inputs)
        logits = np.zeros((*inputs.shape, len(self.task.vocabulary)))
        for row, ids in enumerate(inputs):
            words = self.task.decode([t for t in ids if t != 0])
            place = babi_task1_rules.last_place_rule(words)
            logits[row, :, self.task.encode([place])[0]] = 1.0
        return logits


def test_agreement_counts_a_model_that_takes_the_shortcut(tmp_path):
    task = tasks.get(
        "babi",
        tasks=(1,),
        data_dir=str(babi_data_dir(tmp_path / "data")),
        tfds_dir=str(tmp_path / "tfds"),
    )
    counts = babi_shortcut.agreement(ShortcutModel(task), task, batch_size=2)
    assert counts["questions"] == task.counts()["test"][1] > 0
    assert counts["model_says_last_place"] == counts["questions"]
    assert counts["model_right"] == counts["last_place_right"]
