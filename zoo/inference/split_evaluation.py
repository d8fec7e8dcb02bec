"""A run's checkpoint scored on its task's whole validation and test splits.

For the tasks with no generalisation sizes to vary (the language models):
`evaluate_splits` loads the best or the last checkpoint, runs
`model.evaluate` on each held-out split as the run's task defines it (the
same splits the run's `metrics.json` scores with its last weights) and
writes `eval/splits-<which>.json`. Token tasks also get the bits per token
(per character on a character task such as Tiny Shakespeare).
"""

import math
import pathlib
import warnings

import keras

import tasks
from ntm_keras import validation
from tasks.language.character_vocabulary import CharacterVocabulary
from zoo.inference.evaluation import EVAL_DIR, open_run
from zoo.training import checkpointing, compiling, loop, run_files

SPLITS = ("validation", "test")


def split_file(which):
    """The file name of a split evaluation, e.g. `splits-best.json`."""
    return f"splits-{which}.json"


def checkpoint_epoch(run_dir, which):
    """The epoch whose weights `load_checkpoint(run_dir, which)` loads.

    Mirrors `checkpointing.load_checkpoint`: an intact `best.keras` is the
    best epoch recorded in `last.json`; otherwise (no best file, a damaged
    one, or `which="last"`) the last intact epoch.

    Returns:
        int, or None when the run records no epoch (no `last.json`).
    """
    directory = pathlib.Path(run_dir) / run_files.CHECKPOINTS_DIR
    with warnings.catch_warnings():
        # Loading the checkpoint says it once; this look-up stays quiet.
        warnings.simplefilter("ignore")
        state = checkpointing.last_state(run_dir)
    if state is None:
        return None
    best = directory / checkpointing.BEST_FILE
    if which == "best" and checkpointing.checkpoint_problem(best) is None:
        return state.get("best", {}).get("epoch")
    return state.get("epoch")


def task_options(config, data_dir=None):
    """A run's task options, with `data_dir` in place of the run's own.

    Raises:
        ValueError: if `data_dir` is given but is not a directory, or the
            run's task reads no data directory.
    """
    task_name = config["task"]["name"]
    options = dict(config["task"]["options"])
    if data_dir is None:
        return options
    if "data_dir" not in tasks.options(task_name):
        raise ValueError(
            f"Invalid `data_dir`: received {str(data_dir)!r}, but task "
            f"{task_name!r} reads no data directory; expected no data "
            "directory for this run."
        )
    if not pathlib.Path(data_dir).expanduser().is_dir():
        raise ValueError(
            f"Invalid `data_dir`: received {str(data_dir)!r}, which is not "
            "a directory; expected the directory of the language data sets "
            f"(the one holding {task_name}/)."
        )
    options["data_dir"] = str(data_dir)
    return options


def bits_key(task):
    """`bits_per_character` for a character task, else `bits_per_token`."""
    if isinstance(getattr(task, "characters", None), CharacterVocabulary):
        return "bits_per_character"
    return "bits_per_token"


def score_splits(model, task, splits=SPLITS, *, batch_size, time_bucket=0):
    """Runs `model.evaluate` on each whole split of `task`.

    Args:
        model: a compiled `keras.Model` sized to `task`.
        task: a `tasks.Task`.
        splits: iterable of str. Held-out splits of `task`.
        batch_size: int. Sequences per batch.
        time_bucket: int. Pad batches in time to a multiple of this, as the
            run did (0: no padding; padded steps carry no weight).

    Returns:
        dict from split to `{metric: value}`: what `model.evaluate` returns
        (`loss` and the compiled metrics), `num_sequences`, and for token
        tasks with a perplexity the bits per token (or per character):
        log2 of the perplexity, the mean cross-entropy over every scored
        token of the split. That is `loss / ln 2` when the loss has no
        label smoothing and every batch scores as many tokens (Tiny
        Shakespeare's windows); Keras' `loss` is a mean of batch means.
    """
    scores = {}
    for split in splits:
        dataset = loop.dataset(task, split, batch_size, time_bucket)
        result = model.evaluate(dataset, return_dict=True, verbose=0)
        row = {key: float(value) for key, value in result.items()}
        row["num_sequences"] = sum(
            int(keras.tree.flatten(inputs)[0].shape[0])
            for inputs, *_ in dataset
        )
        if task.spec.modality == "tokens" and "perplexity" in row:
            # The perplexity is exp(mean cross-entropy in nats), unsmoothed.
            row[bits_key(task)] = math.log(row["perplexity"]) / math.log(2)
        scores[split] = row
    return scores


def score_run_splits(config, model, splits=SPLITS, *, batch_size, options):
    """Builds a run's task and scores `model` on its held-out splits.

    Batches are padded in time as the run's were (its `time_bucket`).

    Args:
        config: dict. The run's `config.json` contents.
        model: the run's compiled model.
        splits: iterable of str.
        batch_size: int.
        options: dict. The task's options (see `task_options`).

    Returns:
        dict from split to metrics, see `score_splits`.
    """
    task = tasks.get(config["task"]["name"], **options)
    missing = [split for split in splits if split not in task.splits]
    if missing:
        raise ValueError(
            f"Task {task.name!r} has neither generalisation sizes nor the "
            f"held-out splits {missing} to evaluate on; expected a task "
            f"with {list(SPLITS)} splits."
        )
    compiling.check_model_fits_task(model, task)
    time_bucket = loop.resolve_time_bucket(
        config["training"].get("time_bucket"), bool(model.jit_compile)
    )
    return score_splits(
        model, task, splits, batch_size=batch_size, time_bucket=time_bucket
    )


def evaluate_splits(
    run_dir, *, which="best", batch_size=None, splits=SPLITS, data_dir=None
):
    """Scores a run's checkpoint on its task's whole held-out splits.

    Writes `eval/splits-<which>.json` in the run directory: the checkpoint,
    its epoch, the batch size and each split's metrics.

    Args:
        run_dir: path. A run directory with a checkpoint.
        which: str. `"best"` or `"last"` checkpoint. Defaults to `"best"`.
        batch_size: optional int. Sequences per batch; defaults to the
            run's training batch size.
        splits: iterable of str. Defaults to `("validation", "test")`.
        data_dir: optional path. The language data directory, in place of
            the one the run recorded (or `NTM_KERAS_DATA`).

    Returns:
        dict: what the JSON file holds (`checkpoint`, `epoch`, `task`,
        `batch_size`, and `splits`: split -> metrics, see `score_splits`).
    """
    splits = tuple(splits)
    if not splits:
        raise ValueError(
            f"Invalid `splits`: received none; expected some of {SPLITS}."
        )
    for split in splits:
        validation.check_choice("splits", split, SPLITS)
    run_dir, config = open_run(run_dir, which)
    if batch_size is None:
        batch_size = config["training"]["batch_size"]
    validation.check_positive_int("batch_size", batch_size)
    options = task_options(config, data_dir)
    # A run without checkpoints fails here, before the data are read.
    model = checkpointing.load_checkpoint(run_dir, which)
    report = {
        "checkpoint": which,
        "epoch": checkpoint_epoch(run_dir, which),
        "task": config["task"]["name"],
        "batch_size": batch_size,
        "splits": score_run_splits(
            config, model, splits, batch_size=batch_size, options=options
        ),
    }
    out = run_dir / EVAL_DIR
    out.mkdir(exist_ok=True)
    run_files.write_json(out / split_file(which), report)
    return report


def known_split_scores(run_dir, which, epoch):
    """The scores of checkpoint `which` (epoch `epoch`) a run already has.

    Looks in `eval/splits-<which>.json`, then in `metrics.json`, which
    scores the last weights: those are the checkpoint's when its epoch is
    the run's last.

    Returns:
        `(scores, source)`: dict from split to metrics and the file they
        come from, or `(None, None)` when neither holds both splits of that
        epoch.
    """
    run_dir = pathlib.Path(run_dir)
    if epoch is None:
        return None, None
    evaluated = run_dir / EVAL_DIR / split_file(which)
    if evaluated.is_file():
        report = run_files.read_json(evaluated)
        if not isinstance(report, dict):
            report = {}
        found = report.get("splits")
        if (
            report.get("epoch") == epoch
            and isinstance(found, dict)
            and all(isinstance(found.get(s), dict) for s in SPLITS)
        ):
            return {s: found[s] for s in SPLITS}, f"{EVAL_DIR}/{evaluated.name}"
    metrics = run_dir / run_files.METRICS_FILE
    if metrics.is_file():
        final = run_files.read_json(metrics)
        if (
            isinstance(final, dict)
            and final.get("epochs") == epoch
            and "diverged" not in final
            and all(isinstance(final.get(s), dict) for s in SPLITS)
        ):
            return {s: final[s] for s in SPLITS}, run_files.METRICS_FILE
    return None, None


def format_split_table(report):
    """Returns a report's split metrics as an aligned text table."""
    rows = report["splits"]
    first = next(iter(rows.values()))
    keys = ["num_sequences", "loss"]
    keys += [k for k in first if k not in keys and not k.startswith("bits")]
    keys += [k for k in first if k.startswith("bits")]
    labels = {
        "num_sequences": "sequences",
        "bits_per_character": "bits/char",
        "bits_per_token": "bits/token",
    }
    header = [f"{'split':<12}"]
    header += [f"{labels.get(k, k):>12}" for k in keys]
    lines = ["  ".join(header)]
    for split, row in rows.items():
        cells = [f"{split:<12}"]
        for key in keys:
            value = row.get(key)
            if key == "num_sequences":
                cells.append(f"{value:>12d}")
            elif value is None:
                cells.append(f"{'-':>12}")
            else:
                cells.append(f"{value:>12.4f}")
        lines.append("  ".join(cells))
    return "\n".join(lines)
