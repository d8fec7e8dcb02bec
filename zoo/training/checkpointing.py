"""Checkpoints that a killed run resumes from.

After every epoch `RunCheckpoint` saves the whole model (weights, optimizer
state, compile settings) to `epoch-NNNNN.keras`, then records it in
`last.json` with the epoch counter, the task's difficulty and the
curriculum's state. Each file is written under a temporary name and renamed,
and `last.json` is replaced only after its checkpoint is complete, so a kill
at any moment leaves `last.json` naming a whole checkpoint. We write our own
callback rather than use `keras.callbacks.BackupAndRestore` because that
one overwrites its files in place and keeps no task or curriculum state.
"""

import math
import os
import pathlib

import keras

from zoo.training import run_files

LAST_FILE = "last.json"
BEST_FILE = "best.keras"


def save_model(model, path):
    """Saves `model` to the `.keras` file `path` atomically."""
    path = pathlib.Path(path)
    temporary = path.with_name(f"partial-{path.name}")
    model.save(temporary)
    os.replace(temporary, path)


class RunCheckpoint(keras.callbacks.Callback):
    """Saves the last and the best model of a run, atomically.

    The best model is judged by `monitor` (lower is better) among epochs
    validated at the highest difficulty reached so far: when a curriculum
    raises the difficulty, the first epoch validated at the new level
    becomes the best. (The curriculum raises the difficulty at the end of an
    epoch, after that epoch was validated at the old level.)

    Args:
        directory: path. The run's `checkpoints/` folder.
        task: optional `tasks.Task` whose difficulty is recorded.
        curriculum: optional curriculum callback whose state is recorded.
        monitor: str. Validation log key. Defaults to `"val_loss"`.
    """

    def __init__(
        self, directory, *, task=None, curriculum=None, monitor="val_loss"
    ):
        super().__init__()
        self.directory = pathlib.Path(directory)
        self.task = task
        self.curriculum = curriculum
        self.monitor = monitor
        self.best = {"difficulty": -math.inf, "value": math.inf, "epoch": 0}
        self._validated_difficulty = 0

    def on_epoch_begin(self, epoch, logs=None):
        if self.task is not None:
            self._validated_difficulty = self.task.difficulty

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"epoch-{epoch + 1:05d}.keras"
        save_model(self.model, self.directory / name)
        difficulty = self.task.difficulty if self.task is not None else 0
        value = logs.get(self.monitor, logs.get("loss", math.inf))
        if (self._validated_difficulty, -value) > (
            self.best["difficulty"],
            -self.best["value"],
        ):
            save_model(self.model, self.directory / BEST_FILE)
            self.best = {
                "difficulty": self._validated_difficulty,
                "value": float(value),
                "epoch": epoch + 1,
            }
        state = {
            "epoch": epoch + 1,
            "checkpoint": name,
            "difficulty": difficulty,
            "curriculum": (
                self.curriculum.get_state() if self.curriculum else None
            ),
            "best": self.best,
            "logs": logs,
        }
        run_files.write_json(self.directory / LAST_FILE, state)
        self._remove_stale(keep=name)

    def _remove_stale(self, keep):
        for path in self.directory.glob("*.keras"):
            stale_epoch = path.name.startswith("epoch-") and path.name != keep
            if stale_epoch or path.name.startswith("partial-"):
                path.unlink(missing_ok=True)

    def restore(self, state):
        """Takes back the best-model record from a `last.json` state."""
        self.best = dict(state["best"])


def last_state(run_dir):
    """Returns the `last.json` state of a run, or None if it has none."""
    path = pathlib.Path(run_dir) / run_files.CHECKPOINTS_DIR / LAST_FILE
    if not path.exists():
        return None
    return run_files.read_json(path)


def load_checkpoint(run_dir, which="last"):
    """Loads a run's model from its `last` or `best` checkpoint.

    Args:
        run_dir: path. A run directory.
        which: str. `"last"` or `"best"`.

    Returns:
        The compiled `keras.Model`, optimizer state included.
    """
    directory = pathlib.Path(run_dir) / run_files.CHECKPOINTS_DIR
    if which == "best" and (directory / BEST_FILE).exists():
        return keras.models.load_model(directory / BEST_FILE)
    state = last_state(run_dir)
    if state is None:
        raise ValueError(
            f"Invalid `run_dir`: {str(run_dir)!r} holds no checkpoint "
            f"({directory / LAST_FILE} is missing); expected the directory "
            "of a run that finished at least one epoch."
        )
    return keras.models.load_model(directory / state["checkpoint"])


def load_run(run_dir, which="best"):
    """Rebuilds a run's task from its config and loads its model.

    Args:
        run_dir: path. A run directory with a checkpoint.
        which: str. `"best"` or `"last"`.

    Returns:
        `(task, model)`.
    """
    import tasks

    config = run_files.read_config(run_dir)
    task = tasks.get(config["task"]["name"], **config["task"]["options"])
    return task, load_checkpoint(run_dir, which)
