import pytest

from ntm_keras import validation


def test_check_positive_int_rejects_zero_with_argument_name():
    with pytest.raises(ValueError, match=r"`units`.*received 0.*>= 1"):
        validation.check_positive_int("units", 0)


def test_check_int_rejects_bool_and_float():
    with pytest.raises(TypeError, match="`units`"):
        validation.check_int("units", True)
    with pytest.raises(TypeError, match="expected an int"):
        validation.check_int("units", 2.5)


def test_check_choice_suggests_close_match():
    with pytest.raises(ValueError, match="Did you mean 'bits'"):
        validation.check_choice("modality", "bit", ("bits", "tokens"))


def test_parse_value_follows_the_default_type():
    assert validation.parse_value("n", "12", 3) == 12
    assert validation.parse_value("lr", "0.5", 1.0) == 0.5
    assert validation.parse_value("flag", "off", True) is False
    assert validation.parse_value("lengths", "10,20", (1,)) == (10, 20)
    with pytest.raises(ValueError, match=r"`n`.*'ten'.*int"):
        validation.parse_value("n", "ten", 3)


def test_parse_value_reads_numbers_for_options_that_default_to_none():
    assert validation.parse_value("k", "3", None) == 3
    assert isinstance(validation.parse_value("k", "3", None), int)
    assert validation.parse_value("k", "2e-3", None) == 0.002
    assert validation.parse_value("k", "None", None) is None
    assert validation.parse_value("k", "lstm", None) == "lstm"


def test_check_overrides_rejects_unknown_and_wrong_type():
    defaults = {"units": 8, "modality": "bits"}
    with pytest.raises(ValueError, match="Did you mean 'units'"):
        validation.check_overrides("model 'x'", {"unit": 3}, defaults)
    with pytest.raises(TypeError, match="`units`.*expected int"):
        validation.check_overrides("model 'x'", {"units": 2.5}, defaults)
    assert validation.check_overrides("m", {"units": "4"}, defaults) == {
        "units": 4
    }


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_check_float_rejects_nan_and_infinities(value):
    with pytest.raises(ValueError, match=r"`learning_rate`.*finite"):
        validation.check_float("learning_rate", value, minimum=0.0)


@pytest.mark.parametrize("text", ["nan", "inf", "-inf"])
def test_check_overrides_rejects_non_finite_floats(text):
    with pytest.raises(ValueError, match=r"`clip_value`.*finite"):
        validation.check_overrides(
            "model 'x'", {"clip_value": text}, {"clip_value": 20.0}
        )


def test_ntm_cell_rejects_nan_clip_value():
    from ntm_keras.memory import NTMCell

    with pytest.raises(ValueError, match=r"`clip_value`.*finite"):
        NTMCell(clip_value=float("nan"))


def test_check_positive_ints_names_the_first_bad_argument():
    validation.check_positive_ints(memory_size=4, word_size=1)
    with pytest.raises(ValueError, match=r"`word_size`.*received 0"):
        validation.check_positive_ints(memory_size=4, word_size=0, heads=-1)


@pytest.mark.parametrize("value", [1, "true", None])
def test_check_bool_rejects_what_is_not_a_bool(value):
    assert validation.check_bool("masked_content", True) is True
    with pytest.raises(TypeError, match=r"`masked_content`.*True or False"):
        validation.check_bool("masked_content", value)
