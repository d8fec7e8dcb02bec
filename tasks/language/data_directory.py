"""Finding a language task's files in the data directory.

The data directory comes from the task option `data_dir` (the command's
`--data-dir`) or, when that is not given, the `NTM_KERAS_DATA` environment
variable. It holds one folder per data set (`tiny_shakespeare/`,
`spa_eng/`, as in `../shared/data`); the data set's own folder is accepted
too.
"""

import os
import pathlib

ENVIRONMENT_VARIABLE = "NTM_KERAS_DATA"


class MissingDataError(ValueError):
    """A data file a task needs is not where it should be."""


def data_root(data_dir):
    """Returns the data directory as an absolute path, or None if unset.

    Args:
        data_dir: str, path or None. None reads `NTM_KERAS_DATA`.
    """
    if data_dir is None:
        data_dir = os.environ.get(ENVIRONMENT_VARIABLE) or None
    if data_dir is None:
        return None
    return pathlib.Path(data_dir).expanduser().resolve()


def find_file(task_name, data_dir, folder, relative_path, how_to_get):
    """Returns the path of a data file, or raises `MissingDataError`.

    Looks for `data_dir/folder/relative_path`, then
    `data_dir/relative_path`.

    Args:
        task_name: str. For the message.
        data_dir: str, path or None (None reads `NTM_KERAS_DATA`).
        folder: str. The data set's folder, e.g. `"tiny_shakespeare"`.
        relative_path: str. The file inside that folder.
        how_to_get: str. Where to download the file, for the message.

    Returns:
        pathlib.Path of the file.
    """
    root = data_root(data_dir)
    if root is None:
        raise MissingDataError(
            f"Task {task_name!r} needs {folder}/{relative_path}, but no data "
            f"directory is set: pass --data-dir DIR (task option data_dir) "
            f"or set {ENVIRONMENT_VARIABLE}=DIR, where DIR/{folder}/"
            f"{relative_path} exists. {how_to_get}"
        )
    candidates = [root / folder / relative_path, root / relative_path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise MissingDataError(
        f"Task {task_name!r} needs the file {relative_path}, which is not "
        f"at {candidates[0]} (nor {candidates[1]}). {how_to_get} Then pass "
        f"its parent directory with --data-dir or {ENVIRONMENT_VARIABLE}."
    )
