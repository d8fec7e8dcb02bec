"""Fixtures shared by the zoo tests."""

import pathlib

import pytest

import tasks

FIXTURE_DIR = pathlib.Path(__file__).parents[1] / "data"


@pytest.fixture(scope="session")
def spa_eng_fixture(tmp_path_factory):
    """The spa_eng task on the 50 pairs of `tests/data/spa_eng`."""
    return tasks.get(
        "spa_eng",
        data_dir=str(FIXTURE_DIR),
        cache_dir=str(tmp_path_factory.mktemp("vocabularies")),
        sequence_length=8,
        vocabulary_size=200,
    )
