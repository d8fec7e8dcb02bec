"""The bAbI text format: parsing stories and rejecting malformed lines."""

import pytest
from babi_testing import real_babi_dir, write_fixture

from tasks.language import babi_format


def test_parses_statements_questions_and_positions(tmp_path):
    stories = babi_format.read_stories(
        write_fixture("qa1_single-supporting-fact_train.txt", tmp_path)
    )
    assert len(stories) == 10
    first = stories[0]
    assert first.statements == (
        "Anna walked to the garden.",
        "Tom ran to the cellar.",
        "Anna went to the attic.",
    )
    assert [q.position for q in first.questions] == [2, 3]
    assert [q.answers for q in first.questions] == [("garden",), ("attic",)]
    assert first.questions[1].supporting == (4,)
    assert first.questions[1].line == 5
    assert stories[1].line == 6
    assert sum(len(s.questions) for s in stories) == 11


def test_multi_word_answers_are_split_at_commas(tmp_path):
    stories = babi_format.read_stories(
        write_fixture("qa8_lists-sets_train.txt", tmp_path)
    )
    answers = [q.answers for s in stories for q in s.questions]
    assert answers == [
        ("kettle", "lamp"),
        ("lamp",),
        ("nothing",),
        ("lamp", "kettle", "rope"),
    ]
    assert stories[1].questions[0].supporting == ()


def test_tokenize_lowercases_and_splits_punctuation():
    assert babi_format.tokenize("Where is Mary? ") == [
        "where",
        "is",
        "mary",
        "?",
    ]
    assert babi_format.tokenize("Sheep are afraid of wolves.") == [
        "sheep",
        "are",
        "afraid",
        "of",
        "wolves",
        ".",
    ]


def test_task_file_names_follow_the_release():
    assert (
        babi_format.task_file_name(3, "train")
        == "qa3_three-supporting-facts_train.txt"
    )
    assert babi_format.task_file_name(20, "test") == (
        "qa20_agents-motivations_test.txt"
    )


@pytest.mark.parametrize(
    "text, line, expected",
    [
        ("1 Mary went home.\n2 Where is Mary?\n", 2, "has no answer"),
        ("1 Mary went home.\n2 Where is Mary?\t\t1\n", 2, "non-empty answer"),
        ("1 Mary went home.\n3 John left.\n", 2, "ID 3 after ID 1"),
        ("1 A b.\n2 C d.\n2 E f.\n", 3, "ID 2 after ID 2"),
        ("2 Mary went home.\n", 1, "ID 2 after ID none"),
        ("1 Where is Mary?\tkitchen\t1\n", 1, "has no story"),
        ("x Mary went home.\n", 1, "positive integer ID"),
        ("1 Mary went home.\n2 Where is Mary?\thome\tone\n", 2, "integers"),
    ],
)
def test_malformed_lines_raise_naming_file_and_line(
    tmp_path, text, line, expected
):
    path = tmp_path / "qa1_single-supporting-fact_train.txt"
    path.write_text(text)
    with pytest.raises(ValueError) as error:
        babi_format.read_stories(path)
    message = str(error.value)
    assert f"{path}, line {line}" in message
    assert expected in message


def test_missing_file_raises_naming_the_path(tmp_path):
    path = tmp_path / "qa2_two-supporting-facts_train.txt"
    with pytest.raises(ValueError, match="qa2_two-supporting-facts_train.txt"):
        babi_format.read_stories(path)


def test_real_1k_files_hold_1000_questions_each():
    root = real_babi_dir() / "babi" / "en"
    for number in range(1, 21):
        for split in ("train", "test"):
            path = root / babi_format.task_file_name(number, split)
            stories = babi_format.read_stories(path)
            assert sum(len(s.questions) for s in stories) == 1000, path
