"""Helpers of the bAbI tests: fixture data directories and the real data."""

import os
import pathlib
import shutil

import pytest

from tasks.language import babi_format
from testing import REPOSITORY, SHARED_DATA

BABI_FIXTURES = REPOSITORY / "tests" / "data" / "babi"


def stub_story(number):
    """A one-story file in the bAbI format with words unique to `number`."""
    return (
        f"1 The cat{number} sat on the mat{number}.\n"
        f"2 Where is the cat{number}? \tmat{number}\t1\n"
    )


def babi_data_dir(directory, folder="en", leave_out=()):
    """Lays out the fixtures as `DIR/babi/<folder>/` with all 20 tasks.

    Tasks 1, 8 and 19 are the files of `tests/data/babi/`; every other task
    gets `stub_story(number)` as train and test file.

    Args:
        directory: path. The data directory to fill.
        folder: str. `"en"` (1k) or `"en-10k"`.
        leave_out: file names not to write.

    Returns:
        pathlib.Path `directory`.
    """
    target = pathlib.Path(directory) / "babi" / folder
    target.mkdir(parents=True, exist_ok=True)
    for number in range(1, babi_format.NUM_TASKS + 1):
        for split in ("train", "test"):
            name = babi_format.task_file_name(number, split)
            if name in leave_out:
                continue
            if (BABI_FIXTURES / name).exists():
                shutil.copyfile(BABI_FIXTURES / name, target / name)
            else:
                (target / name).write_text(stub_story(number))
    return pathlib.Path(directory)


def real_babi_dir():
    """The data directory holding the real `babi/`, or a skip (a failure
    under `CI=true`, where the data must be there).

    Reads `NTM_KERAS_DATA` when set, else the shared `../shared/data`.
    """
    root = pathlib.Path(os.environ.get("NTM_KERAS_DATA") or SHARED_DATA)
    if not (root / "babi" / "en").is_dir():
        reason = (
            f"the bAbI data are missing: {root / 'babi' / 'en'} does not "
            "exist (set NTM_KERAS_DATA to a directory holding babi/en/ and "
            "babi/en-10k/)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return root
