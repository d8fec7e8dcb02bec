"""Per-task defaults: a family's options for one task, below the user's."""

import json

import pytest

import tasks
import zoo
from zoo import cli, registry, training

# A repeat copy run small enough for a test: 1 step of 2 sequences.
TINY_NTM = (
    "controller_units=8",
    "memory_size=8",
    "word_size=4",
    "max_length=2",
    "max_repeats=2",
    "eval_size=4",
)
TINY_RUN = ("--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "2")


@pytest.fixture
def scratch_registry(monkeypatch):
    """Registrations made in a test vanish after it."""
    monkeypatch.setattr(registry, "_MODELS", dict(registry._MODELS))


def _factory(*, input_dim=9, output_dim=8, modality="bits", units=4, name="x"):
    return zoo.describe("lstm_tiny").factory(
        input_dim=input_dim,
        output_dim=output_dim,
        modality=modality,
        units=units,
        num_layers=1,
        name=name,
    )


def test_ntm_defaults_apply_to_the_measured_tasks_only():
    repeat_copy = registry.task_defaults("ntm", "repeat_copy")
    small_batches = {"batch_size": 8, "steps_per_epoch": 400}
    assert repeat_copy == {
        "learning_rate": 1e-2,
        "curriculum": "doubling",
        **small_batches,
    }
    assert registry.task_defaults("ntm", "associative_recall") == small_batches
    assert registry.task_option_defaults("ntm", "associative_recall") == {
        "train_min_items": 3
    }
    assert registry.task_option_defaults("ntm", "copy") == {}
    assert registry.task_defaults("ntm", "ngrams") == small_batches
    assert registry.task_defaults("ntm", "copy") == {
        "learning_rate": 2e-3,
        "global_clipnorm": 10.0,
        **small_batches,
    }
    assert registry.model_option_defaults("ntm", "copy") == {
        "min_sharpening": 2.0,
        "write_min_sharpening": 1.0,
    }
    assert registry.model_option_defaults("ntm", "repeat_copy") == {}
    assert registry.model_option_defaults("ntm", "associative_recall") == {
        "write_forward_bias": 2.0,
        "memory_init": "random",
    }
    recall = tasks.get("associative_recall")
    assert zoo.resolve_config("ntm", recall)["write_forward_bias"] == 2.0
    assert zoo.resolve_config("ntm", recall)["memory_init"] == "random"
    assert (
        zoo.resolve_config("ntm", tasks.get("copy"))["memory_init"]
        == "constant"
    )
    assert zoo.resolve_config("ntm_tiny", recall)["memory_init"] == "constant"
    assert zoo.resolve_config("ntm")["write_forward_bias"] == 0.0
    assert zoo.resolve_config("ntm_tiny", recall)["write_forward_bias"] == 0.0
    copy = tasks.get("copy")
    assert zoo.resolve_config("ntm", copy)["min_sharpening"] == 2.0
    assert zoo.resolve_config("ntm", copy)["write_min_sharpening"] == 1.0
    assert zoo.resolve_config("ntm")["write_min_sharpening"] is None
    assert zoo.resolve_config("ntm")["min_sharpening"] == 1.0
    assert zoo.resolve_config("ntm_tiny", copy)["min_sharpening"] == 1.0
    assert registry.model_option_defaults("ntm", "priority_sort") == {
        "memory_init": "learned",
        "controller_units": 256,
        "write_min_sharpening": 2.0,
        "write_forward_bias": 6.0,
    }
    priority_sort = tasks.get("priority_sort")
    sort_config = zoo.resolve_config("ntm", priority_sort)
    assert sort_config["memory_init"] == "learned"
    assert sort_config["controller_units"] == 256
    assert sort_config["write_min_sharpening"] == 2.0
    assert sort_config["write_forward_bias"] == 6.0
    assert sort_config["min_sharpening"] == 1.0  # the read head's own
    assert zoo.resolve_config("ntm")["controller_units"] == 100
    assert (
        zoo.resolve_config("ntm_ff", priority_sort)["memory_init"] == "constant"
    )
    assert registry.task_defaults("ntm", None) == {}
    # Measured on `ntm` only; its tiny test twin keeps the family's.
    assert registry.task_defaults("ntm_tiny", "repeat_copy") == {}
    assert registry.task_defaults("ntm_tiny", "copy") == {}
    # An epoch keeps the 3,200 sequences of the batches of 32.
    config = training.make_config("ntm", "associative_recall")["training"]
    assert config["batch_size"] * config["steps_per_epoch"] == 3_200


def test_build_compiles_with_the_task_default_unless_overridden():
    sizes = {"controller_units": 8, "memory_size": 8, "word_size": 4}
    repeat_copy = tasks.get("repeat_copy", max_length=2, max_repeats=2)
    model = zoo.build("ntm", repeat_copy, model_overrides=sizes)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-2)
    model = zoo.build("ntm", tasks.get("copy"), model_overrides=sizes)
    assert float(model.optimizer.learning_rate) == pytest.approx(2e-3)
    assert model.optimizer.global_clipnorm == pytest.approx(10.0)
    priority_sort = tasks.get("priority_sort")
    model = zoo.build("ntm", priority_sort, model_overrides=sizes)
    assert float(model.optimizer.learning_rate) == pytest.approx(4e-3)
    model = zoo.build("ntm", tasks.get("ngrams"), model_overrides=sizes)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)
    model = zoo.build(
        "ntm",
        repeat_copy,
        model_overrides=sizes,
        compile_overrides={"learning_rate": 3e-3, "amsgrad": None},
    )
    assert float(model.optimizer.learning_rate) == pytest.approx(3e-3)
    # Options the task defaults leave alone keep the family's.
    assert model.optimizer.amsgrad and model.jit_compile


def test_make_config_puts_the_user_above_the_task_defaults():
    config = training.make_config("ntm", "repeat_copy")
    assert config["training"]["learning_rate"] == 1e-2
    assert config["training"]["curriculum"] == "doubling"
    config = training.make_config(
        "ntm", "repeat_copy", learning_rate=3e-3, curriculum="none"
    )
    assert config["training"]["learning_rate"] == 3e-3
    assert config["training"]["curriculum"] == "none"
    config = training.make_config("ntm", "ngrams", learning_rate=None)
    assert config["training"]["learning_rate"] is None
    assert config["training"]["curriculum"] == "none"


def test_resolve_options_layers_user_family_and_training_defaults():
    # The one home of the layering that `make_config` and the convergence
    # benchmark share.
    options = training.resolve_options("ntm", "priority_sort")
    assert (options["decay"], options["decay_start"]) == ("cosine", 0.6)
    assert options["decay_floor"] == 0.1
    assert options["batch_size"] == 16 and options["curriculum"] == "none"
    # An epoch keeps the 3,200 sequences of the batches of 32.
    assert options["steps_per_epoch"] == 200
    assert options["epochs"] == training.TRAINING_DEFAULTS["epochs"]
    options = training.resolve_options(
        "ntm", "priority_sort", decay="none", batch_size=32, curriculum=None
    )
    assert (options["decay"], options["batch_size"]) == ("none", 32)
    assert training.resolve_options("ntm", "repeat_copy")["batch_size"] == 8
    assert training.resolve_options("ntm", "copy")["decay"] == "none"
    with pytest.raises(ValueError, match="decay_start"):
        training.resolve_options("ntm", "copy", decay_start=float("nan"))
    with pytest.raises(ValueError, match="batch_sise"):
        training.resolve_options("ntm", "copy", batch_sise=8)


def test_a_function_gives_defaults_per_task(scratch_registry):
    def by_task(task_name):
        return {"batch_size": 4} if task_name.startswith("repeat") else None

    registry.register("scratch_function", task_defaults=by_task)(_factory)
    assert registry.task_defaults("scratch_function", "repeat_copy") == {
        "batch_size": 4
    }
    assert registry.task_defaults("scratch_function", "copy") == {}
    config = training.make_config("scratch_function", "repeat_copy")
    assert config["training"]["batch_size"] == 4
    config = training.make_config("scratch_function", "copy")
    assert config["training"]["batch_size"] == 32
    assert registry.describe_task_defaults("scratch_function") == [
        "scratch_function: depends on the task (a function)"
    ]


def test_the_train_command_leaves_family_options_to_the_family(
    scratch_registry,
):
    # Before, `ntm-keras train` parsed a left-out --batch-size as 32, which
    # then counted as the user's choice and hid the family's default.
    registry.register(
        "scratch_batch",
        task_defaults={"copy": {"batch_size": 4, "steps_per_epoch": 7}},
    )(_factory)
    parser = cli.build_parser()

    def training_config(*flags):
        args = parser.parse_args(
            ["train", "scratch_batch", "--task", "copy", *flags]
        )
        options = cli.training_options(args)
        return training.make_config("scratch_batch", "copy", **options)[
            "training"
        ]

    assert training_config()["batch_size"] == 4
    assert training_config()["steps_per_epoch"] == 7
    assert training_config()["epochs"] == 10  # TRAINING_DEFAULTS
    chosen = training_config("--batch-size", "16", "--steps-per-epoch", "2")
    assert (chosen["batch_size"], chosen["steps_per_epoch"]) == (16, 2)
    help_text = parser.train_parser.format_help()
    assert "unless the model family sets one for the task" in help_text


def test_a_family_can_set_task_options_below_the_users(scratch_registry):
    registry.register(
        "scratch_task_options",
        task_defaults={
            "associative_recall": {
                "batch_size": 4,
                "task": {"train_min_items": 3},
            }
        },
    )(_factory)
    name, task = "scratch_task_options", "associative_recall"
    # The task options stay out of the training options.
    assert registry.task_defaults(name, task) == {"batch_size": 4}
    assert registry.task_option_defaults(name, task) == {"train_min_items": 3}
    assert registry.task_option_defaults(name, "copy") == {}
    assert training.split_overrides(name, task, {}) == (
        {},
        {"train_min_items": 3},
    )
    config = training.make_config(name, task)
    assert config["task"]["options"]["train_min_items"] == 3
    assert config["task"]["options"]["min_items"] == 2
    config = training.make_config(
        name, task, overrides={"train_min_items": "4"}
    )
    assert config["task"]["options"]["train_min_items"] == 4
    # `tasks.get` alone is the task as published.
    assert tasks.get(task).train_min_items == 2
    # A valid choice of the user's that clashes with the family's option
    # says where that option came from.
    with pytest.raises(ValueError, match=r"train_min_items.*trains task"):
        training.make_config(name, task, overrides={"max_items": "2"})
    # The user's own mistake keeps its plain error.
    with pytest.raises(ValueError, match=r"min_items") as caught:
        training.make_config(name, task, overrides={"min_items": "1"})
    assert "trains task" not in str(caught.value)


def test_a_family_can_set_hyperparameters_for_a_task(scratch_registry):
    registry.register(
        "scratch_model_options",
        task_defaults={"copy": {"batch_size": 4, "model": {"units": 6}}},
    )(_factory)
    name = "scratch_model_options"
    # The hyperparameters stay out of the training options.
    assert registry.task_defaults(name, "copy") == {"batch_size": 4}
    assert registry.model_option_defaults(name, "copy") == {"units": 6}
    assert registry.model_option_defaults(name, "repeat_copy") == {}
    copy = tasks.get("copy")
    assert zoo.resolve_config(name, copy)["units"] == 6
    assert zoo.resolve_config(name, copy, units=5)["units"] == 5
    assert zoo.resolve_config(name, tasks.get("repeat_copy"))["units"] == 4
    assert zoo.resolve_config(name)["units"] == 4
    # The task's sizes still win over the family's choice.
    assert zoo.resolve_config(name, copy)["input_dim"] == 9
    model = zoo.get(name, copy)
    assert model.get_layer("lstm_0").units == 6


@pytest.mark.parametrize(
    "model_options, error, match",
    [
        (3, TypeError, r"received 3; expected a dict of hyperparameters"),
        ({"unit": 6}, ValueError, r"Unknown option 'unit'.*task 'copy'"),
        ({"units": "six"}, ValueError, r"units"),
    ],
)
def test_bad_family_hyperparameters_for_a_task_raise(
    scratch_registry, model_options, error, match
):
    registry.register(
        "scratch_bad_model_options",
        task_defaults={"copy": {"model": model_options}},
    )(_factory)
    with pytest.raises(error, match=match):
        zoo.get("scratch_bad_model_options", tasks.get("copy"))


def test_a_family_task_options_entry_must_be_a_dict(scratch_registry):
    registry.register(
        "scratch_bad_task_options",
        task_defaults={"copy": {"task": 3}},
    )(_factory)
    with pytest.raises(TypeError, match=r"received 3; expected a dict"):
        training.split_overrides("scratch_bad_task_options", "copy", {})


@pytest.mark.parametrize(
    "task_defaults, error, match",
    [
        ([("copy", {})], TypeError, r"`task_defaults`.*\[\('copy'"),
        ({"copy": 0.01}, TypeError, r"`task_defaults`.*'copy': 0.01"),
    ],
)
def test_bad_task_defaults_raise_at_registration(
    scratch_registry, task_defaults, error, match
):
    with pytest.raises(error, match=match):
        registry.register("scratch_bad", task_defaults=task_defaults)
    assert "scratch_bad" not in registry._MODELS


def test_an_unknown_option_raises_when_resolved(scratch_registry):
    registry.register(
        "scratch_unknown", task_defaults={"copy": {"learning_rat": 0.1}}
    )(_factory)
    with pytest.raises(ValueError, match=r"\['learning_rat'\].*'copy'"):
        registry.task_defaults("scratch_unknown", "copy")
    with pytest.raises(ValueError, match="learning_rat"):
        zoo.build("scratch_unknown", tasks.get("copy"))


def test_help_and_describe_show_the_task_defaults(capsys):
    help_text = cli.build_parser().train_parser.format_help()
    line = (
        "ntm on repeat_copy: learning_rate=0.01, curriculum='doubling', "
        "batch_size=8, steps_per_epoch=400"
    )
    assert line in help_text
    assert "--curriculum CURRICULUM" in help_text
    assert cli.main(["describe", "ntm"]) == 0
    assert f"task defaults: {line}" in capsys.readouterr().out
    assert cli.main(["describe", "ntm_ff"]) == 0
    assert "task defaults" not in capsys.readouterr().out


def test_train_records_the_values_used(tmp_path):
    sets = [part for option in TINY_NTM for part in ("--set", option)]
    argv = ["train", "ntm", "--task", "repeat_copy", *TINY_RUN, *sets]
    argv += ["--jit-compile", "off", "--log-dir", str(tmp_path)]
    # The user's learning rate wins; the curriculum is the task default's.
    assert cli.main([*argv, "--learning-rate", "0.003"]) == 0
    (run_dir,) = tmp_path.iterdir()
    config = json.loads((run_dir / "config.json").read_text())
    assert config["training"]["learning_rate"] == 3e-3
    assert config["compile"]["learning_rate"] == 3e-3
    assert config["compile"]["amsgrad"] is True
    assert config["training"]["curriculum"] == "doubling"


def test_dnc_defaults_apply_to_the_measured_tasks_and_not_to_its_tiny_twin():
    small_batches = {"batch_size": 8, "steps_per_epoch": 400}
    assert registry.task_defaults("dnc", "copy") == small_batches
    assert registry.task_defaults("dnc", "associative_recall") == {
        "learning_rate": 2e-3,
        **small_batches,
    }
    assert registry.task_option_defaults("dnc", "associative_recall") == {
        "train_min_items": 3
    }
    # Unlike `ntm`, the DNC keeps its constant start on recall.
    assert registry.model_option_defaults("dnc", "associative_recall") == {}
    assert registry.task_defaults("dnc", "repeat_copy") == {
        "learning_rate": 5e-3,
        "curriculum": "doubling",
        **small_batches,
    }
    assert registry.task_defaults("dnc", "priority_sort") == {}
    assert registry.task_defaults("dnc_tiny", "copy") == {}
    assert registry.task_defaults("dnc_tiny", "associative_recall") == {}
    recall = tasks.get("associative_recall", max_items=4, eval_size=4)
    sizes = {"controller_units": 8, "memory_size": 8, "word_size": 4}
    model = zoo.build("dnc", recall, model_overrides=sizes)
    assert float(model.optimizer.learning_rate) == pytest.approx(2e-3)
    config = training.make_config("dnc", "copy")["training"]
    assert (config["batch_size"], config["steps_per_epoch"]) == (8, 400)
    config = training.make_config("dnc", "copy", batch_size=32)["training"]
    assert config["batch_size"] == 32
