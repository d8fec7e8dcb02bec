"""Length generalisation: how a trained model does on longer sequences."""

import pathlib

import numpy as np

import tasks
from ntm_keras import validation
from zoo import checkpointing, compiling, registry, run_files

EVAL_DIR = "eval"


def rebuild_with(model, config, **changes):
    """Rebuilds a run's model with some options changed, keeping its weights.

    Used to give a trained NTM a larger memory for longer sequences: its
    weights do not depend on the number of memory slots.

    Args:
        model: the trained model.
        config: the run's `config.json` contents.
        **changes: model options to change, e.g. `memory_size=512`.

    Returns:
        A new model with the trained weights and the original compile
        settings.
    """
    name = config["model"]["name"]
    spec = registry.describe(name)
    options = dict(config["model"]["options"])
    unknown = sorted(set(changes) - set(options))
    if unknown:
        raise ValueError(
            f"Model {name!r} has no option {unknown}; it takes "
            f"{sorted(options)}."
        )
    options.update(changes)
    rebuilt = spec.factory(name=name, **options)
    try:
        rebuilt.set_weights(model.get_weights())
    except ValueError as error:
        raise ValueError(
            f"The weights of model {name!r} depend on {sorted(changes)}, so "
            f"it cannot be rebuilt with {changes}: {error}"
        ) from None
    rebuilt.compile(**model._compile_config.config)
    return rebuilt


def evaluate_lengths(
    run_dir,
    lengths,
    *,
    num_sequences=256,
    batch_size=32,
    which="best",
    memory_size=None,
):
    """Evaluates a run's model on sequences of each of `lengths`.

    Writes `eval/lengths.json` and `eval/lengths.png` in the run directory
    (`lengths-memory-<N>.*` with `memory_size`).

    Args:
        run_dir: path. A run directory with a checkpoint.
        lengths: iterable of int. Sequence lengths to test.
        num_sequences: int. Sequences per length. Defaults to `256`.
        batch_size: int. Defaults to `32`.
        which: str. `"best"` or `"last"` checkpoint. Defaults to `"best"`.
        memory_size: optional int. Rebuild the model with this many memory
            slots (models whose weights do not depend on it, e.g. the NTM).

    Returns:
        list of dict, one row per length: `length`, `bits_per_sequence`,
        `bit_errors_per_sequence`, `sequence_accuracy`, `bit_accuracy`.
    """
    run_dir = pathlib.Path(run_dir)
    lengths = [validation.check_positive_int("lengths", n) for n in lengths]
    if not lengths:
        raise ValueError("Invalid `lengths`: received none; expected >= 1.")
    validation.check_positive_int("num_sequences", num_sequences)
    validation.check_choice("which", which, ("best", "last"))
    config = run_files.read_config(run_dir)
    task_name = config["task"]["name"]
    options = dict(config["task"]["options"])
    if "generalisation_lengths" not in options:
        raise ValueError(
            f"Task {task_name!r} has no sequence length to vary; length "
            "evaluation needs a task with `generalisation_lengths`."
        )
    options.update(
        generalisation_lengths=tuple(lengths), eval_size=num_sequences
    )
    task = tasks.get(task_name, **options)
    model = checkpointing.load_checkpoint(run_dir, which)
    if memory_size is not None:
        validation.check_positive_int("memory_size", memory_size)
        model = rebuild_with(model, config, memory_size=memory_size)
    compiling.check_model_fits_task(model, task)
    rows = []
    for length, split in zip(lengths, task.generalisation_splits):
        dataset = task.dataset(split, batch_size)
        result = model.evaluate(dataset, return_dict=True, verbose=0)
        scored_bits = (
            sum(float(np.sum(mask)) for _, _, mask in dataset)
            * task.spec.output_dim
            / num_sequences
        )
        errors = result["bit_errors_per_sequence"]
        rows.append(
            {
                "length": length,
                "bits_per_sequence": result["bits_per_sequence"],
                "bit_errors_per_sequence": errors,
                "sequence_accuracy": result["sequence_accuracy"],
                "bit_accuracy": 1.0 - errors / max(scored_bits, 1.0),
            }
        )
    out = run_dir / EVAL_DIR
    out.mkdir(exist_ok=True)
    suffix = f"-memory-{memory_size}" if memory_size else ""
    run_files.write_json(
        out / f"lengths{suffix}.json",
        {
            "checkpoint": which,
            "memory_size": memory_size,
            "num_sequences": num_sequences,
            "train_max_length": config["task"]["options"].get("max_length"),
            "rows": rows,
        },
    )
    plot_lengths(
        rows,
        out / f"lengths{suffix}.png",
        title=run_dir.name,
        train_max_length=options.get("max_length"),
    )
    return rows


def format_table(rows):
    """Returns the rows as an aligned text table."""
    header = (
        "length",
        "bits/seq",
        "bit errors/seq",
        "seq accuracy",
        "bit accuracy",
    )
    lines = ["  ".join(f"{h:>14}" for h in header)]
    for row in rows:
        lines.append(
            "  ".join(
                [
                    f"{row['length']:>14d}",
                    f"{row['bits_per_sequence']:>14.3f}",
                    f"{row['bit_errors_per_sequence']:>14.3f}",
                    f"{row['sequence_accuracy']:>14.3f}",
                    f"{row['bit_accuracy']:>14.4f}",
                ]
            )
        )
    return "\n".join(lines)


def plot_lengths(rows, path, *, title="", train_max_length=None):
    """Plots bit errors and sequence accuracy against length to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    lengths = [row["length"] for row in rows]
    figure, (errors_axis, accuracy_axis) = pyplot.subplots(
        1, 2, figsize=(10, 4)
    )
    errors_axis.plot(
        lengths, [r["bit_errors_per_sequence"] for r in rows], marker="o"
    )
    errors_axis.set_xlabel("sequence length")
    errors_axis.set_ylabel("bit errors per sequence")
    accuracy_axis.plot(
        lengths,
        [r["sequence_accuracy"] for r in rows],
        marker="o",
        label="sequence accuracy",
    )
    accuracy_axis.plot(
        lengths,
        [r["bit_accuracy"] for r in rows],
        marker="s",
        label="bit accuracy",
    )
    accuracy_axis.set_xlabel("sequence length")
    accuracy_axis.set_ylim(-0.02, 1.02)
    accuracy_axis.legend()
    for axis in (errors_axis, accuracy_axis):
        axis.grid(alpha=0.3)
        if train_max_length:
            axis.axvline(
                train_max_length,
                color="gray",
                linestyle="--",
                label="longest training length",
            )
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
