import keras
import pytest

import tasks
import zoo
from zoo import registry


def test_list_sorts_naturally_and_filters():
    names = zoo.list()
    assert {"lstm", "lstm_tiny"} <= set(names)
    assert zoo.list("*_tiny") == [n for n in names if n.endswith("_tiny")]
    assert zoo.list("lstm*", tags=("tiny",)) == ["lstm_tiny"]
    assert registry._natural_key("m2") < registry._natural_key("m10")


def test_every_family_has_a_tiny_entry():
    tiny_factories = {zoo.describe(n).factory for n in zoo.list("*_tiny")}
    for name in zoo.list():
        assert zoo.describe(name).factory in tiny_factories, name


def test_describe_reads_defaults_from_the_factory():
    spec = zoo.describe("lstm")
    assert spec.defaults["num_layers"] == 3 and spec.defaults["units"] == 256
    tiny = zoo.describe("lstm_tiny")
    assert tiny.defaults["num_layers"] == 1
    assert "name" not in spec.defaults


def test_get_without_task_gives_uncompiled_default_model():
    model = zoo.get("lstm_tiny")
    assert isinstance(model, keras.Model)
    assert model.name == "lstm_tiny"
    assert not model.compiled


def test_get_with_task_sizes_and_compiles():
    task = tasks.get("copy", num_bits=5)
    model = zoo.get("lstm_tiny", task=task)
    assert model.compiled
    assert model.inputs[0].shape[-1] == 6
    assert model.outputs[0].shape[-1] == 5


def test_unknown_name_suggests_close_matches():
    with pytest.raises(ValueError, match=r"model .lstm_tin.*lstm_tiny"):
        zoo.get("lstm_tin")


def test_unknown_override_lists_valid_keys():
    with pytest.raises(ValueError, match=r"'unit'.*units"):
        zoo.get("lstm_tiny", unit=3)


@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"units": -4}, ValueError),
        ({"units": 0}, ValueError),
        ({"units": 2.5}, TypeError),
        ({"modality": "pixels"}, ValueError),
    ],
)
def test_bad_override_values_raise(overrides, error):
    with pytest.raises(error, match=next(iter(overrides))):
        zoo.get("lstm_tiny", **overrides)


def test_override_contradicting_the_task_raises():
    with pytest.raises(ValueError, match=r"`input_dim`.*needs 9"):
        zoo.get("lstm_tiny", task=tasks.get("copy"), input_dim=4)


def test_duplicate_registration_raises():
    with pytest.raises(ValueError, match="registered twice"):
        zoo.register("lstm")(lambda *, name="x": None)


def test_mismatched_model_and_task_raise():
    model = zoo.get("lstm_tiny", input_dim=4)
    with pytest.raises(ValueError, match=r"takes 4 features.*gives 9"):
        zoo.compile_for_task(model, tasks.get("copy"))


def test_token_modality_embeds_ids_and_gives_logits():
    model = zoo.get("lstm_tiny", modality="tokens", input_dim=50, output_dim=50)
    outputs = model(keras.ops.ones((2, 7), dtype="int32"))
    assert tuple(outputs.shape) == (2, 7, 50)
    assert float(keras.ops.min(outputs)) < 0.0  # logits, not probabilities
