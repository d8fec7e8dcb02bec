"""`ntm-keras train` and `zoo.get(name, task=...)` compile models alike."""

import pytest

import tasks
import zoo
from zoo import cli, training

# One registry entry per model family.
FAMILIES = zoo.list("*_tiny")


def _settings(model):
    """The optimizer settings a compiled model trains with."""
    config = model.optimizer.get_config()
    keys = ("learning_rate", "global_clipnorm", "amsgrad", "beta_2", "epsilon")
    keys += ("spike_factor",)
    return {"jit_compile": model.jit_compile} | {k: config[k] for k in keys}


def _train_path(name, *flags):
    args = cli.build_parser().parse_args(
        ["train", name, "--task", "copy", *flags]
    )
    config = training.make_config(name, "copy", **cli.training_options(args))
    _, model = training.build_run(config)
    return _settings(model)


def test_every_family_is_covered():
    assert {zoo.describe(n).factory.__name__ for n in FAMILIES} == {
        zoo.describe(n).factory.__name__ for n in zoo.list()
    }


@pytest.mark.parametrize("name", FAMILIES)
def test_both_paths_take_the_family_defaults(name):
    expected = _settings(zoo.get(name, task=tasks.get("copy")))
    assert _train_path(name) == expected
    family = zoo.describe(name).compile_options(zoo.resolve_config(name))
    assert expected["jit_compile"] == family.get("jit_compile", False)
    assert expected["amsgrad"] == family.get("amsgrad", False)


@pytest.mark.parametrize("name", FAMILIES)
def test_a_user_setting_wins_on_both_paths(name):
    chosen = {
        "learning_rate": 0.02,
        "warmup_steps": 0,
        "global_clipnorm": 5.0,
        "amsgrad": False,
        "spike_factor": 20.0,
        "jit_compile": False,
    }
    built = zoo.build(name, tasks.get("copy"), compile_overrides=chosen)
    expected = _settings(built)
    assert expected["learning_rate"] == pytest.approx(0.02)
    assert expected["global_clipnorm"] == 5.0
    assert expected["amsgrad"] is False and expected["jit_compile"] is False
    assert expected["spike_factor"] == 20.0
    flags = (
        "--learning-rate=0.02",
        "--warmup-steps=0",
        "--global-clipnorm=5",
        "--amsgrad=off",
        "--spike-factor=20",
        "--jit-compile=off",
    )
    assert _train_path(name, *flags) == expected


def test_train_help_shows_the_training_defaults():
    parser = cli.build_parser()
    train = parser._subparsers._group_actions[0].choices["train"]
    text = " ".join(train.format_help().split())
    for option in ("epochs", "steps_per_epoch", "batch_size"):
        default = training.TRAINING_DEFAULTS[option]
        flag = "--" + option.replace("_", "-")
        assert f"{flag} {option.upper()}" in text
        family = "unless the model family sets one for the task"
        assert f"(default: {default}, {family})" in text
    assert "--epochs EPOCHS epochs to train (default: 10, unless" in text
