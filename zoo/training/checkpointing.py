"""Checkpoints that a killed run resumes from.

After every epoch `RunCheckpoint` saves the whole model (weights, optimizer
state, compile settings) to `epoch-NNNNN.keras`, then records it in
`last.json` with the epoch counter, the task's difficulty and the
curriculum's state. Each file is written under a temporary name and renamed,
and `last.json` is replaced only after its checkpoint is complete, so a kill
at any moment leaves `last.json` naming a whole checkpoint. We write our own
callback rather than use `keras.callbacks.BackupAndRestore` because that
one overwrites its files in place and keeps no task or curriculum state.

The checkpoint of the epoch before the last is kept too, and `last.json`
records it under `previous`: if the last checkpoint is damaged (a disk that
lost its end, a copy cut short), loading falls back to it with a warning.
An epoch whose loss is not finite is never saved (see
`zoo.training.divergence`): `last.json` and `best.keras` stay those of the
last finite epoch.
"""

import math
import os
import pathlib
import warnings
import zipfile

import keras

from zoo.training import run_files

LAST_FILE = "last.json"
BEST_FILE = "best.keras"


def save_model(model, path):
    """Saves `model` to the `.keras` file `path` atomically.

    The file is written under a temporary name, flushed to disk (`fsync`)
    and only then renamed, so that the name never points at a file whose
    bytes a crash of the machine could still lose.
    """
    path = pathlib.Path(path)
    temporary = path.with_name(f"partial-{path.name}")
    model.save(temporary)
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def checkpoint_problem(path):
    """Returns what is wrong with the `.keras` file `path`, or None.

    A `.keras` file is a zip archive; a file cut short loses the archive's
    directory at its end, and damaged bytes fail the members' CRC check.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        return "the file is missing"
    if not zipfile.is_zipfile(path):
        return (
            f"it is not a complete .keras (zip) archive "
            f"({path.stat().st_size} bytes; truncated or overwritten?)"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        return f"its archive cannot be read ({error})"
    if damaged is not None:
        return f"its member {damaged!r} is damaged (CRC mismatch)"
    return None


def is_finite_number(value):
    """True for a real number that is neither NaN nor infinite."""
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


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
        epochs: optional int. The run's total epochs, recorded in each
            state, so that a resumed run keeps a new total only once an
            epoch towards it is done.
        guard: optional `zoo.training.divergence.NonFiniteGuard`; once it
            has stopped the run, no checkpoint is saved.
        record: optional function of no arguments that returns a dict of
            plain values to record in each state under `"record"` (what a
            caller needs to resume besides the model, e.g. a benchmark's
            curve); called after the epoch's other callbacks that come
            before this one.
    """

    def __init__(
        self,
        directory,
        *,
        task=None,
        curriculum=None,
        monitor="val_loss",
        epochs=None,
        guard=None,
        record=None,
    ):
        super().__init__()
        self.directory = pathlib.Path(directory)
        self.task = task
        self.curriculum = curriculum
        self.monitor = monitor
        self.epochs = epochs
        self.guard = guard
        self.record = record
        self.best = {"difficulty": -math.inf, "value": math.inf, "epoch": 0}
        self.previous = None
        self._validated_difficulty = 0

    def on_epoch_begin(self, epoch, logs=None):
        if self.task is not None:
            self._validated_difficulty = self.task.difficulty

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        value = logs.get(self.monitor, logs.get("loss", math.inf))
        diverged = self.guard is not None and self.guard.report is not None
        if (
            diverged
            or not is_finite_number(logs.get("loss", 0.0))
            or not is_finite_number(value)
        ):
            # A diverged epoch is neither the last nor the best checkpoint:
            # resuming from it could only give NaN again.
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"epoch-{epoch + 1:05d}.keras"
        save_model(self.model, self.directory / name)
        difficulty = self.task.difficulty if self.task is not None else 0
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
            "epochs": self.epochs,
            "record": self.record() if self.record else None,
            # The state to fall back to if this checkpoint is damaged.
            "previous": self.previous,
        }
        run_files.write_json(self.directory / LAST_FILE, state)
        keep = {name}
        if self.previous is not None:
            keep.add(self.previous["checkpoint"])
        self._remove_stale(keep)
        self.previous = {k: v for k, v in state.items() if k != "previous"}

    def _remove_stale(self, keep):
        for path in self.directory.glob("*.keras"):
            stale_epoch = path.name.startswith("epoch-") and (
                path.name not in keep
            )
            if stale_epoch or path.name.startswith("partial-"):
                path.unlink(missing_ok=True)

    def restore(self, state):
        """Takes back the best-model record from a `last.json` state."""
        self.best = dict(state["best"])
        self.previous = {k: v for k, v in state.items() if k != "previous"}


def last_state(run_dir):
    """Returns the `last.json` state of a run, or None if it has none.

    If the checkpoint it names is damaged, returns the state of the epoch
    before (`previous`), with a warning naming the file and what is wrong.

    Raises:
        ValueError: if `last.json` is not valid JSON, or no intact
            checkpoint is left.
    """
    directory = pathlib.Path(run_dir) / run_files.CHECKPOINTS_DIR
    path = directory / LAST_FILE
    if not path.exists():
        return None
    state = run_files.read_json(path)
    if not isinstance(state, dict) or "checkpoint" not in state:
        raise ValueError(
            f"Invalid {path}: the key 'checkpoint' is missing; expected a "
            "file written by `ntm-keras train`."
        )
    problem = checkpoint_problem(directory / state["checkpoint"])
    if problem is None:
        return state
    previous = state.get("previous")
    fallback = None
    if previous:
        if checkpoint_problem(directory / previous["checkpoint"]) is None:
            fallback = previous
    if fallback is None:
        raise ValueError(
            f"Damaged checkpoint {directory / state['checkpoint']}: "
            f"{problem}, and no earlier intact checkpoint is left; start "
            "the run again."
        )
    warnings.warn(
        f"Damaged checkpoint {directory / state['checkpoint']}: {problem}; "
        f"falling back to {directory / fallback['checkpoint']} (epoch "
        f"{fallback['epoch']}).",
        stacklevel=2,
    )
    return {**fallback, "previous": None}


def load_state_model(run_dir, state):
    """Loads the model of a `last_state` state (the checkpoint it names)."""
    directory = pathlib.Path(run_dir) / run_files.CHECKPOINTS_DIR
    return _load(directory / state["checkpoint"])


def _load(path):
    problem = checkpoint_problem(path)
    if problem is not None:
        raise ValueError(f"Damaged checkpoint {path}: {problem}.")
    return keras.models.load_model(path)


def load_checkpoint(run_dir, which="last"):
    """Loads a run's model from its `last` or `best` checkpoint.

    Args:
        run_dir: path. A run directory.
        which: str. `"last"` or `"best"`.

    Returns:
        The compiled `keras.Model`, optimizer state included.
    """
    directory = pathlib.Path(run_dir) / run_files.CHECKPOINTS_DIR
    best = directory / BEST_FILE
    if which == "best" and best.exists():
        problem = checkpoint_problem(best)
        if problem is None:
            return keras.models.load_model(best)
        warnings.warn(
            f"Damaged checkpoint {best}: {problem}; falling back to the "
            "last checkpoint.",
            stacklevel=2,
        )
    state = last_state(run_dir)
    if state is None:
        raise ValueError(
            f"Invalid `run_dir`: {str(run_dir)!r} holds no checkpoint "
            f"({directory / LAST_FILE} is missing); expected the directory "
            "of a run that finished at least one epoch."
        )
    return _load(directory / state["checkpoint"])


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
