"""Length generalisation: how a trained model does on longer sequences."""

import pathlib

import numpy as np

import tasks
from ntm_keras import validation
from zoo import registry
from zoo.training import checkpointing, compiling, run_files

EVAL_DIR = "eval"


def rebuild_with(model, config, task, **changes):
    """Rebuilds a run's model with some options changed, keeping its weights.

    Used to give a trained NTM a larger memory for longer sequences: its
    weights do not depend on the number of memory slots.

    Args:
        model: the trained model.
        config: the run's `config.json` contents.
        task: the `tasks.Task` to compile the model for.
        **changes: model options to change, e.g. `memory_size=512`.

    Returns:
        A new model with the trained weights, compiled with the run's
        compile options.
    """
    name = config["model"]["name"]
    rebuilt = registry.build(
        name,
        task,
        model_overrides={**config["model"]["options"], **changes},
        compile_overrides=config.get("compile"),
    )
    try:
        rebuilt.set_weights(model.get_weights())
    except ValueError as error:
        raise ValueError(
            f"The weights of model {name!r} depend on {sorted(changes)}, so "
            f"it cannot be rebuilt with {changes}: {error}"
        ) from None
    return rebuilt


def open_run(run_dir, which):
    """Reads a run to evaluate and checks where its results will go.

    The `eval/` folder is checked before any work, so that an evaluation is
    not lost to a folder it cannot write at the end.

    Args:
        run_dir: path. A run directory.
        which: str. `"best"` or `"last"` checkpoint.

    Returns:
        `(run_dir, config)`: the directory as a `pathlib.Path` and its
        `config.json` contents.
    """
    run_dir = pathlib.Path(run_dir)
    validation.check_choice("which", which, ("best", "last"))
    config = run_files.read_config(run_dir)
    # Checked now, not after the whole evaluation has run.
    run_files.check_writable_directory("run_dir", run_dir / EVAL_DIR)
    return run_dir, config


# The option of each task that lists its generalisation sizes, and the
# training option those sizes go beyond.
GENERALISATION_OPTIONS = {
    "generalisation_lengths": ("length", "max_length"),
    "generalisation_items": ("items", "max_items"),
    "generalisation_inputs": ("inputs", "max_inputs"),
}
METRIC_COLUMNS = (
    ("bits_per_sequence", "bits/seq", "{:>14.3f}"),
    ("bayes_optimal_bits_per_sequence", "optimum bits", "{:>14.3f}"),
    ("bit_errors_per_sequence", "bit errors/seq", "{:>14.3f}"),
    ("sequence_accuracy", "seq accuracy", "{:>14.3f}"),
    ("bit_accuracy", "bit accuracy", "{:>14.4f}"),
)


def generalisation_option(task_name, options):
    """Returns `(option, axis, training_option)` of a task's sizes."""
    for option, (axis, training_option) in GENERALISATION_OPTIONS.items():
        if option in options:
            return option, axis, training_option
    raise ValueError(
        f"Task {task_name!r} has no generalisation sizes to vary; evaluation "
        f"needs a task with one of {sorted(GENERALISATION_OPTIONS)}."
    )


def evaluate_lengths(
    run_dir,
    lengths,
    *,
    num_sequences=256,
    batch_size=32,
    which="best",
    memory_size=None,
):
    """Evaluates a run's model at each of several sizes beyond training.

    The size is the task's generalisation axis: sequence length (copy,
    repeat copy at the most repeats, n-grams), number of items (associative
    recall) or of inputs (priority sort). Writes `eval/lengths.json` and
    `eval/lengths.png` in the run directory (`lengths-memory-<N>.*` with
    `memory_size`).

    Args:
        run_dir: path. A run directory with a checkpoint.
        lengths: iterable of int. Sizes to test.
        num_sequences: int. Sequences per size. Defaults to `256`.
        batch_size: int. Defaults to `32`.
        which: str. `"best"` or `"last"` checkpoint. Defaults to `"best"`.
        memory_size: optional int. Rebuild the model with this many memory
            slots (models whose weights do not depend on it, e.g. the NTM).

    Returns:
        list of dict, one row per size: `size`, and each metric the task
        reports (`bits_per_sequence`, `bit_errors_per_sequence`,
        `sequence_accuracy`, `bit_accuracy`; for n-grams
        `bayes_optimal_bits_per_sequence`).
    """
    lengths = [validation.check_positive_int("lengths", n) for n in lengths]
    if not lengths:
        raise ValueError("Invalid `lengths`: received none; expected >= 1.")
    validation.check_positive_int("num_sequences", num_sequences)
    run_dir, config = open_run(run_dir, which)
    task_name = config["task"]["name"]
    options = dict(config["task"]["options"])
    option, axis, training_option = generalisation_option(task_name, options)
    options.update({option: tuple(lengths), "eval_size": num_sequences})
    task = tasks.get(task_name, **options)
    model = checkpointing.load_checkpoint(run_dir, which)
    if memory_size is not None:
        validation.check_positive_int("memory_size", memory_size)
        model = rebuild_with(model, config, task, memory_size=memory_size)
    compiling.check_model_fits_task(model, task)
    rows = []
    for size, split in zip(lengths, task.generalisation_splits):
        dataset = task.dataset(split, batch_size)
        result = model.evaluate(dataset, return_dict=True, verbose=0)
        row = {"size": size}
        for key, _, _ in METRIC_COLUMNS:
            if key in result:
                row[key] = float(result[key])
        if "bit_errors_per_sequence" in row:
            scored_bits = (
                sum(float(np.sum(mask)) for _, _, mask in dataset)
                * task.spec.output_dim
                / num_sequences
            )
            row["bit_accuracy"] = 1.0 - row["bit_errors_per_sequence"] / max(
                scored_bits, 1.0
            )
        rows.append(row)
    out = run_dir / EVAL_DIR
    out.mkdir(exist_ok=True)
    suffix = f"-memory-{memory_size}" if memory_size else ""
    trained_up_to = options.get(training_option)
    run_files.write_json(
        out / f"lengths{suffix}.json",
        {
            "axis": axis,
            "checkpoint": which,
            "memory_size": memory_size,
            "num_sequences": num_sequences,
            "trained_up_to": trained_up_to,
            "rows": rows,
        },
    )
    plot_lengths(
        rows,
        out / f"lengths{suffix}.png",
        title=run_dir.name,
        axis=axis,
        trained_up_to=trained_up_to,
    )
    return rows


def format_table(rows, axis="size"):
    """Returns the rows as an aligned text table."""
    columns = [c for c in METRIC_COLUMNS if rows and c[0] in rows[0]]
    header = [axis] + [label for _, label, _ in columns]
    lines = ["  ".join(f"{h:>14}" for h in header)]
    for row in rows:
        cells = [f"{row['size']:>14d}"]
        cells += [fmt.format(row[key]) for key, _, fmt in columns]
        lines.append("  ".join(cells))
    return "\n".join(lines)


def plot_lengths(rows, path, *, title="", axis="size", trained_up_to=None):
    """Plots the cost and the accuracies against size to a PNG."""
    from matplotlib.figure import Figure

    sizes = [row["size"] for row in rows]
    figure = Figure(figsize=(10, 4))
    cost_axis, accuracy_axis = figure.subplots(1, 2)
    if "bit_errors_per_sequence" in rows[0]:
        cost_axis.plot(
            sizes, [r["bit_errors_per_sequence"] for r in rows], marker="o"
        )
        cost_axis.set_ylabel("bit errors per sequence")
        for key, label, marker in (
            ("sequence_accuracy", "sequence accuracy", "o"),
            ("bit_accuracy", "bit accuracy", "s"),
        ):
            accuracy_axis.plot(
                sizes, [r[key] for r in rows], marker=marker, label=label
            )
        accuracy_axis.set_ylim(-0.02, 1.02)
        accuracy_axis.set_ylabel("accuracy")
    else:
        cost_axis.plot(
            sizes,
            [r["bits_per_sequence"] for r in rows],
            marker="o",
            label="model",
        )
        if "bayes_optimal_bits_per_sequence" in rows[0]:
            cost_axis.plot(
                sizes,
                [r["bayes_optimal_bits_per_sequence"] for r in rows],
                marker="s",
                label="Bayes optimum",
            )
        cost_axis.set_ylabel("bits per sequence")
        cost_axis.legend()
        accuracy_axis.axis("off")
    for ax in (cost_axis, accuracy_axis):
        ax.set_xlabel(axis)
        ax.grid(alpha=0.3)
        if trained_up_to:
            ax.axvline(trained_up_to, color="gray", linestyle="--")
    if accuracy_axis.get_legend_handles_labels()[0]:
        accuracy_axis.legend()
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
