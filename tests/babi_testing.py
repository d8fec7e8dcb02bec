"""Helpers of the bAbI tests: fixture data directories and the real data."""

import os
import pathlib

import pytest

from tasks.language import babi_format
from testing import SHARED_DATA, run_main

# Made-up stories in the bAbI v1.2 format (`ID text`, questions as
# `ID question<TAB>answer<TAB>supporting IDs`), written for these tests and
# not taken from the bAbI release: task 1 (one supporting fact), task 8
# (lists, multi-word answers) and task 19 (path finding, two-word answers).
# They live here, not as files, so that nothing in tests/data looks like
# the release; `babi_data_dir` lays them out under their official names.
FIXTURE_STORIES = {
    "qa19_path-finding_test.txt": (
        "1 The porch is south of the attic.\n"
        "2 The garden is west of the porch.\n"
        "3 How do you go from the attic to the garden? \ts,w\t1 2\n"
    ),
    "qa19_path-finding_train.txt": (
        "1 The attic is north of the cellar.\n"
        "2 The porch is east of the attic.\n"
        "3 How do you go from the cellar to the porch? \tn,e\t1 2\n"
        "1 The garden is west of the porch.\n"
        "2 The cellar is south of the garden.\n"
        "3 How do you go from the porch to the cellar? \tw,s\t1 2\n"
    ),
    "qa1_single-supporting-fact_test.txt": (
        "1 Tom went to the garden.\n"
        "2 Where is Tom? \tgarden\t1\n"
        "1 Lena ran to the porch.\n"
        "2 Anna went to the cellar.\n"
        "3 Where is Anna? \tcellar\t2\n"
        "4 Where is Lena? \tporch\t1\n"
    ),
    "qa1_single-supporting-fact_train.txt": (
        "1 Anna walked to the garden.\n"
        "2 Tom ran to the cellar.\n"
        "3 Where is Anna? \tgarden\t1\n"
        "4 Anna went to the attic.\n"
        "5 Where is Anna? \tattic\t4\n"
        "1 Tom walked to the attic.\n"
        "2 Where is Tom? \tattic\t1\n"
        "1 Lena went to the porch.\n"
        "2 Tom went to the garden.\n"
        "3 Lena walked to the cellar.\n"
        "4 Where is Lena? \tcellar\t3\n"
        "1 Anna ran to the porch.\n"
        "2 Where is Anna? \tporch\t1\n"
        "1 Tom went to the cellar.\n"
        "2 Lena ran to the attic.\n"
        "3 Where is Tom? \tcellar\t1\n"
        "1 Lena walked to the garden.\n"
        "2 Where is Lena? \tgarden\t1\n"
        "1 Anna went to the cellar.\n"
        "2 Anna ran to the porch.\n"
        "3 Where is Anna? \tporch\t2\n"
        "1 Tom walked to the porch.\n"
        "2 Where is Tom? \tporch\t1\n"
        "1 Lena went to the attic.\n"
        "2 Where is Lena? \tattic\t1\n"
        "1 Anna walked to the attic.\n"
        "2 Where is Anna? \tattic\t1\n"
    ),
    "qa8_lists-sets_test.txt": (
        "1 Tom took the rope there.\n"
        "2 Tom took the lamp there.\n"
        "3 What is Tom carrying? \trope,lamp\t1 2\n"
    ),
    "qa8_lists-sets_train.txt": (
        "1 Anna took the kettle there.\n"
        "2 Anna picked up the lamp there.\n"
        "3 What is Anna carrying? \tkettle,lamp\t1 2\n"
        "4 Anna dropped the kettle.\n"
        "5 What is Anna carrying? \tlamp\t1 2 4\n"
        "1 Tom walked to the attic.\n"
        "2 What is Tom carrying? \tnothing\t\n"
        "1 Lena took the lamp there.\n"
        "2 Lena got the kettle there.\n"
        "3 Lena grabbed the rope there.\n"
        "4 What is Lena carrying? \tlamp,kettle,rope\t1 2 3\n"
    ),
}


def fixture_text(name):
    """The text of the fixture file `name`, or None if there is none."""
    return FIXTURE_STORIES.get(name)


def write_fixture(name, directory):
    """Writes the fixture file `name` into `directory`; returns its path."""
    path = pathlib.Path(directory) / name
    path.write_text(FIXTURE_STORIES[name])
    return path


def stub_story(number):
    """A one-story file in the bAbI format with words unique to `number`."""
    return (
        f"1 The cat{number} sat on the mat{number}.\n"
        f"2 Where is the cat{number}? \tmat{number}\t1\n"
    )


def babi_data_dir(directory, folder="en", leave_out=()):
    """Lays out the fixtures as `DIR/babi/<folder>/` with all 20 tasks.

    Tasks 1, 8 and 19 are `FIXTURE_STORIES`; every other task
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
            (target / name).write_text(fixture_text(name) or stub_story(number))
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


def train_babi_run(tmp_path_factory, model, babi_tasks):
    """Trains `model` for 2 steps on the fixture stories of `babi_tasks`
    (`"1,8"`) through `ntm-keras train`; returns the run directory."""
    log_dir = tmp_path_factory.mktemp("runs")
    result = run_main(
        "train",
        model,
        "--task",
        "babi",
        "--data-dir",
        babi_data_dir(tmp_path_factory.mktemp("data")),
        "--set",
        f"tasks={babi_tasks}",
        "--set",
        f"tfds_dir={tmp_path_factory.mktemp('tfds')}",
        "--steps-per-epoch",
        2,
        "--epochs",
        1,
        "--batch-size",
        4,
        "--jit-compile",
        "off",  # two steps: XLA would only cost compile time
        "--log-dir",
        log_dir,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = [path for path in log_dir.iterdir() if path.is_dir()]
    return run_dir
