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
    """Writes JSON to `path` through a temporary file and an atomic rename."""
    path = pathlib.Path(path)
    temporary = path.with_name(f".{path.name}.partial")
    with open(temporary, "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True, default=_plain)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def read_json(path):
    with open(path) as handle:
        return json.load(handle)


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
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


def git_commit():
    """Returns the commit of the source checkout, or None outside git."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=pathlib.Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


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
        "versions": versions(),
    }


def read_config(run_dir):
    """Returns a run's `config.json`; raises `ValueError` if there is none."""
    path = pathlib.Path(run_dir) / CONFIG_FILE
    if not path.exists():
        raise ValueError(
            f"Invalid `run_dir`: {str(run_dir)!r} has no {CONFIG_FILE}; "
            "expected a directory made by `ntm-keras train`."
        )
    return read_json(path)
