import pytest

import tasks


def test_list_contains_copy_and_filters_with_wildcards():
    assert "copy" in tasks.list()
    assert tasks.list("co*") == ["copy"]
    assert tasks.list("nothing*") == []


def test_unknown_task_suggests_close_match():
    with pytest.raises(ValueError, match=r"Unknown task 'cpy'.*'copy'"):
        tasks.get("cpy")


def test_unknown_option_lists_valid_options():
    with pytest.raises(ValueError, match=r"max_lenght.*max_length"):
        tasks.get("copy", max_lenght=3)


def test_string_options_are_parsed_and_validated():
    task = tasks.get("copy", max_length="7")
    assert task.max_length == 7
    with pytest.raises(ValueError, match="max_length"):
        tasks.get("copy", max_length="-3")
    with pytest.raises(TypeError, match="max_length"):
        tasks.get("copy", max_length=2.5)


def test_config_holds_every_option():
    task = tasks.get("copy", max_length=5, seed=3)
    assert task.config() == {
        "num_bits": 8,
        "min_length": 1,
        "max_length": 5,
        "generalisation_lengths": [30, 50, 80, 120],
        "seed": 3,
        "eval_size": 1024,
    }
