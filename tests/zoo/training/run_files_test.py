"""What a run records about the code that made it."""

import pytest

from zoo.training import run_files


def test_changed_files_are_the_tracked_changes_sorted(monkeypatch):
    porcelain = " M zoo/cli.py\nM  README.md\nR  a.py -> b.py\n"
    monkeypatch.setattr(run_files, "_git", lambda *arguments: porcelain)
    assert run_files.git_changed_files() == [
        "README.md",
        "a.py -> b.py",
        "zoo/cli.py",
    ]
    monkeypatch.setattr(run_files, "_git", lambda *arguments: "")
    assert run_files.git_changed_files() == []


def test_outside_git_nothing_is_claimed(monkeypatch):
    monkeypatch.setattr(run_files, "_git", lambda *arguments: None)
    assert run_files.git_changed_files() is None
    assert run_files.git_commit() is None
    invocation = run_files.describe_invocation()
    assert invocation["commit"] is None
    assert invocation["changed_files"] is None


def test_this_checkout_has_a_commit_and_a_list_of_changes():
    commit = run_files.git_commit()
    if commit is None:
        pytest.skip("the source is not a git checkout")
    assert commit is not None and len(commit) == 40
    assert commit.startswith(run_files.git_commit(short=True))
    assert isinstance(run_files.git_changed_files(), list)
