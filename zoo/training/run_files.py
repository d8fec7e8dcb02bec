"""Files of a run directory, written so that a kill never leaves half a file.

A run directory `runs/<model>-<task>-<timestamp>/` holds:

    config.json        what was run: model, task, training options, versions
    logs/              TensorBoard event files (train/, validation/)
    checkpoints/       last.json, epoch-NNNNN.keras, best.keras
    metrics.json       final metrics, written when training ends
    eval/              length-generalisation tables and plots
"""

import datetime
import json
import math
import os
import pathlib
import platform
import subprocess
import sys
from importlib import metadata

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.json"
LOGS_DIR = "logs"
CHECKPOINTS_DIR = "checkpoints"

_PACKAGES = (
    "ntm-keras",
    "keras",
    "tensorflow",
    "keras-hub",
    "tensorflow-datasets",
    "tensorboard",
    "numpy",
)


def write_json(path, data):
    """Writes JSON to `path` through a temporary file and an atomic rename.

    The file is always valid JSON: NaN and the infinities, which JSON cannot
    hold, are written as `null` (`finite_or_none`).
    """
    path = pathlib.Path(path)
    temporary = path.with_name(f".{path.name}.partial")
    with open(temporary, "w") as handle:
        json.dump(
            finite_or_none(data),
            handle,
            indent=2,
            sort_keys=True,
            allow_nan=False,
        )
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def read_json(path):
    """Returns the JSON in `path`; a broken file is a `ValueError` naming it."""
    try:
        with open(path) as handle:
            return json.load(handle)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"Invalid JSON in {path}: {error}; expected a file written by "
            "ntm-keras (was it edited or cut short?)."
        ) from None
    except UnicodeDecodeError as error:
        raise ValueError(
            f"Invalid JSON in {path}: it is not UTF-8 text ({error})."
        ) from None


def finite_or_none(value):
    """Returns `value` as plain JSON data, with non-finite numbers as None.

    NumPy and TensorFlow numbers become Python numbers; NaN, inf and -inf
    become None, so that `json.dump(..., allow_nan=False)` always succeeds.
    """
    if isinstance(value, dict):
        return {key: finite_or_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(item) for item in value]
    if isinstance(value, (str, bool, int)) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        return finite_or_none(value.item())
    if hasattr(value, "tolist"):
        return finite_or_none(value.tolist())
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(value)


def versions():
    """Returns the versions of Python and the packages a run depends on."""
    found = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def _git(*arguments):
    """The output of a git command in the source checkout, or None."""
    try:
        result = subprocess.run(
            ["git", *arguments],
            cwd=pathlib.Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout


def git_commit(short=False):
    """Returns the commit of the source checkout, or None outside git."""
    output = _git("rev-parse", *(["--short"] if short else []), "HEAD")
    return (output or "").strip() or None


# A result measured on a changed checkout names the changed files, so that
# nobody mistakes it for the commit's own code; the list is cut at this.
_MAX_CHANGED_FILES = 50


def git_changed_files():
    """Tracked files changed since the commit (sorted), or None outside git.

    An empty list means the checkout is the commit. Untracked files are
    not listed (run directories, data); at most 50 names are returned.
    """
    output = _git("status", "--porcelain", "--untracked-files=no")
    if output is None:
        return None
    names = sorted(line[3:] for line in output.splitlines() if line.strip())
    return names[:_MAX_CHANGED_FILES]


def new_run_directory(log_dir, model_name, task_name):
    """Creates and returns `log_dir/<model>-<task>-<timestamp>[-N]`."""
    log_dir = pathlib.Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = f"{model_name}-{task_name}-{stamp}"
    for attempt in range(1000):
        name = base if attempt == 0 else f"{base}-{attempt}"
        try:
            (log_dir / name).mkdir()
        except FileExistsError:
            continue
        return log_dir / name
    raise RuntimeError(f"Could not create a run directory under {log_dir}.")


def describe_invocation():
    """Returns the command line and time, for `config.json`."""
    return {
        "argv": list(sys.argv),
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "commit": git_commit(),
        "changed_files": git_changed_files(),
        "versions": versions(),
    }


# The keys every `config.json` holds, by section.
CONFIG_KEYS = {
    "model": ("name", "overrides"),
    "task": ("name", "options"),
    "training": ("epochs", "steps_per_epoch", "batch_size", "seed"),
}


def read_config(run_dir):
    """Returns a run's `config.json`.

    Raises:
        ValueError: if there is none, it is not valid JSON, or it lacks a
            key a run needs; the message names the file and the key.
    """
    path = pathlib.Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise ValueError(
            f"Invalid `run_dir`: {str(run_dir)!r} has no {CONFIG_FILE}; "
            "expected a directory made by `ntm-keras train`."
        )
    config = read_json(path)
    if not isinstance(config, dict):
        raise ValueError(
            f"Invalid {path}: received a JSON {type(config).__name__}; "
            "expected an object with the keys "
            f"{sorted(CONFIG_KEYS)}."
        )
    for section, keys in CONFIG_KEYS.items():
        if not isinstance(config.get(section), dict):
            raise ValueError(
                f"Invalid {path}: the key {section!r} is missing or not an "
                f"object; expected {section!r} with {list(keys)} (a file "
                "written by `ntm-keras train`)."
            )
        for key in keys:
            if key not in config[section]:
                raise ValueError(
                    f"Invalid {path}: the key {section}.{key} is missing; "
                    "expected a file written by `ntm-keras train`."
                )
    return config


def check_writable_directory(argument, path):
    """Raises `ValueError` unless `path` is, or can become, a directory we
    can write to.

    Called before any work, so that a run or an evaluation is not lost to
    a file it cannot write at the end. A missing directory is fine if its
    nearest existing parent is a writable directory. Root passes the
    permission test everywhere (`os.access`), but a path under a regular
    file is refused for everyone.

    Args:
        argument: str. The option, for the message (e.g. `"--log-dir"`).
        path: str or path.

    Returns:
        pathlib.Path of `path`.
    """
    path = pathlib.Path(path)
    existing = path
    while not existing.exists() and existing != existing.parent:
        if existing.is_symlink():  # a dangling link
            break
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(
            f"Invalid `{argument}`: received {str(path)!r}, but "
            f"{str(existing)!r} is not a directory; expected a directory "
            "(or a new one's path)."
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(
            f"Invalid `{argument}`: received {str(path)!r}, but "
            f"{str(existing)!r} is not writable; expected a directory you "
            "can write to (check its permissions)."
        )
    return path
