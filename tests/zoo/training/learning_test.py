"""A tiny model must really learn a small task, on CPU, in about a minute."""

import tasks
import zoo


def test_lstm_tiny_learns_copy_of_length_three(tmp_path):
    task = tasks.get("copy", max_length=3, eval_size=256, seed=1)
    model = zoo.get("lstm_tiny", task=task, units=64)
    # Ten steps per call: the same 1,500 steps, with the callbacks' work
    # per call instead of per step (a third of this test's time).
    zoo.compile_for_task(
        model, task, learning_rate=0.01, steps_per_execution=10
    )
    model.fit(
        task.dataset("train", 32),
        steps_per_epoch=100,
        epochs=15,
        validation_data=task.dataset("validation", 32),
        callbacks=zoo.callbacks(tmp_path, task=task, model=model),
        verbose=0,
    )
    result = model.evaluate(
        task.dataset("test", 32), return_dict=True, verbose=0
    )
    assert result["sequence_accuracy"] >= 0.9
    assert result["bit_errors_per_sequence"] <= 0.2
