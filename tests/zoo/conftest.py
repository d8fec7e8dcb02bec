"""Fixtures shared by the zoo tests."""

import pytest

import tasks
from testing import spa_eng_data_dir


@pytest.fixture(scope="session")
def spa_eng_fixture(tmp_path_factory):
    """The spa_eng task on the 50 pairs of `tests/data/spa_eng_pairs.tsv`."""
    return tasks.get(
        "spa_eng",
        data_dir=str(spa_eng_data_dir(tmp_path_factory.mktemp("data"))),
        cache_dir=str(tmp_path_factory.mktemp("vocabularies")),
        sequence_length=8,
        vocabulary_size=1000,
    )
