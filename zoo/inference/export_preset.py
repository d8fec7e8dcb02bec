"""Turning a finished run into a preset (the user's, or one to ship)."""

import pathlib

import numpy as np

from zoo import preset_store, registry
from zoo.training import checkpointing, run_files


def export_preset(
    run_dir, preset, *, which="best", directory=None, overwrite=False
):
    """Saves a run's model as preset `preset` of its zoo entry.

    The metadata keeps the model options that differ from the entry's
    defaults, the task and training settings, the run's command and commit,
    its final metrics and any length evaluation found in `eval/`. A run on a
    character task also keeps the task's vocabulary, so the preset samples
    text with no data (`ntm-keras sample --preset`).

    `metrics` holds the exported checkpoint's own scores on the whole
    validation and test splits, with its epoch and where they come from:
    `eval/splits-<which>.json` or `metrics.json` when either scored that
    epoch's weights, else the splits are scored here (which needs the
    task's data). `run_metrics` is the run's `metrics.json` as written at
    the end of training: its last weights' scores and the last epoch's logs.

    Args:
        run_dir: path. A finished run directory.
        preset: str. The preset's name, e.g. `"copy"`.
        which: str. `"best"` or `"last"` checkpoint.
        directory: optional path. Where to write; defaults to the user's
            preset directory (`zoo.preset_store.user_preset_dir()`).
        overwrite: bool. Replace an existing preset of that name.

    Returns:
        pathlib.Path of the written weights file.
    """
    run_dir = pathlib.Path(run_dir)
    config = run_files.read_config(run_dir)
    name = config["model"]["name"]
    # Refused names and unwritable directories before loading anything.
    preset_store.check_preset_target(
        name, preset, directory=directory, overwrite=overwrite
    )
    defaults = registry.describe(name).defaults
    overrides = {
        key: value
        for key, value in config["model"]["options"].items()
        if defaults.get(key) != value
    }
    trained = checkpointing.load_checkpoint(run_dir, which)
    for weight in trained.weights:
        if not np.all(np.isfinite(np.asarray(weight))):
            raise ValueError(
                f"Invalid `run_dir`: the {which} checkpoint of "
                f"{str(run_dir)!r} has non-finite weights ({weight.path}); "
                "expected a run that did not diverge."
            )
    # An uncompiled copy: the checkpoint's optimizer state (Adam's two
    # moments, twice the weights) has no place in a preset.
    model = registry.get(name, **overrides)
    model.set_weights(trained.get_weights())
    metadata = {
        "model": name,
        "preset": preset,
        "overrides": overrides,
        "options": config["model"]["options"],
        "task": config["task"],
        "training": config["training"],
        "source": {
            "run": run_dir.name,
            "checkpoint": which,
            "argv": config.get("invocation", {}).get("argv"),
            "commit": config.get("invocation", {}).get("commit"),
        },
    }
    vocabulary = _task_vocabulary(config)
    if vocabulary is not None:
        metadata["vocabulary"] = vocabulary
    metadata["metrics"] = _checkpoint_metrics(run_dir, which, config, trained)
    metrics = run_dir / run_files.METRICS_FILE
    if metrics.exists():
        metadata["run_metrics"] = run_files.read_json(metrics)
    evaluations = sorted((run_dir / "eval").glob("lengths*.json"))
    metadata["evaluations"] = {
        path.stem: run_files.read_json(path)["rows"] for path in evaluations
    }
    return preset_store.save_preset(
        model,
        name,
        preset,
        metadata,
        directory=directory,
        overwrite=overwrite,
    )


def _task_vocabulary(config):
    """The character vocabulary of a run's task, or None for other tasks."""
    import tasks

    if config["task"]["name"] != "tiny_shakespeare":
        return None
    task = tasks.get(config["task"]["name"], **config["task"]["options"])
    return list(task.vocabulary)


def _checkpoint_metrics(run_dir, which, config, model):
    """The validation and test scores of the checkpoint being exported.

    Known scores of that epoch are reused; otherwise the splits are scored
    now with the checkpoint's compiled model (`model`).
    """
    from zoo.inference import split_evaluation

    epoch = split_evaluation.checkpoint_epoch(run_dir, which)
    scores, source = split_evaluation.known_split_scores(run_dir, which, epoch)
    if scores is None:
        scores = split_evaluation.score_run_splits(
            config,
            model,
            batch_size=config["training"]["batch_size"],
            options=config["task"]["options"],
        )
        source = "scored at export"
    return {"checkpoint": which, "epoch": epoch, "from": source, **scores}
