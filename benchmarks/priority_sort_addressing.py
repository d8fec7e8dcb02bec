"""Where a trained NTM writes on priority sort, and what it reads back.

    python benchmarks/priority_sort_addressing.py RUN [RUN ...] \
        --labels constant,learned \
        --out notes/figures/ntm-priority-sort-addressing.png

The NTM paper (section 4.5) suggests that its NTM sorts by writing each
vector at a location that its priority sets, then reading the locations in
order. This script checks that on runs of `ntm-keras train ... --task
priority_sort` (it loads each run's best checkpoint) or on saved models
(`.keras`, e.g. from `convergence.py --save-final`): steps the memory cell
over `--sequences` test sequences and measures, per sequence:

- `write_rank_correlation`: over the K inputs the model must write back,
  Spearman's rank correlation between an input's priority and the slot
  its first write head puts most weight on (slots counted from the widest
  gap between those inputs' slots, so that a mapping that wraps around
  the circular memory still counts as ordered); 1 is a slot that rises
  with the priority, -1 one that falls, 0 no relation. The inputs of
  lowest priority, never written back, are left out: a model may put
  them anywhere;
- `distinct_write_slots`: the share of those K inputs written to a slot
  that no other input of the sequence was written to (1: every vector to
  write back has its own slot);
- `slots_used`: how many slots those K inputs were written to (K: one
  each);
- `read_hits`: the share of output steps whose first read head puts most
  weight on the slot where the vector to output was written;
- `read_ahead_hits`: the same for the read one step earlier (at the
  delimiter for the first output). The read vector of a step reaches
  the controller at the next step, so a model may fetch each vector one
  step before it outputs it; `read_hits` misses such a pipeline;
- `write_peak`: the mean weight of that most weighted slot at the input
  steps (1: every write on one slot; 1/N: spread evenly), which says how
  much the slots above stand for;
- `read_gate` and `write_gate`: the mean interpolation gate of the first
  read head at the output steps and of the first write head at the input
  steps (1: a fresh lookup by content every step; 0: the previous
  weighting, moved by the shift, i.e. addressing by location);
- `read_lookup_hits` and `read_lookup_neighbours`: the share of output
  steps at which the read head's lookup by content alone (its key against
  the memory, before the gate, the shift and the sharpening) puts most
  weight on the slot to output, and on a slot next to it (one either
  side), from which a shift of one can reach it;
- `write_lookup_hits` and `write_lookup_neighbours`: the same for the
  write head at the steps of the inputs written back, against the slot
  it ends up writing to.

Prints one JSON line per run (the means over the sequences). With
`--out`, draws priority against write slot for the first sequences of
each run; with `--offsets-out`, where the read head's lookup and its
final read land around the slot to output.
"""

import argparse
import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import tasks  # noqa: E402
from ntm_keras import inspect  # noqa: E402
from ntm_keras.memory import addressing as memory_addressing  # noqa: E402
from zoo.training import checkpointing  # noqa: E402


def ranks(values):
    """Ranks 0..n-1 of `values` (no ties expected: priorities are floats)."""
    order = np.argsort(values, kind="stable")
    result = np.empty(len(values))
    result[order] = np.arange(len(values))
    return result


def unwrap_slots(slots, memory_size, reference=None):
    """Slots renumbered from the widest gap between occupied slots.

    A location that grows with the priority may wrap past the last slot
    of the circular memory; counting from the widest empty stretch undoes
    that before ranks are compared. The occupied slots are those of
    `reference` when given (by default `slots` itself).
    """
    occupied = np.unique(slots if reference is None else reference)
    gaps = np.diff(np.concatenate([occupied, occupied[:1] + memory_size]))
    start = occupied[(np.argmax(gaps) + 1) % len(occupied)]
    return (slots - start) % memory_size


def lookup_offsets(slots, targets, memory_size):
    """Signed circular distance from each target slot to a looked-up slot.

    Args:
        slots: (K,) the slots a lookup put most weight on.
        targets: (K,) the slots it should reach.
        memory_size: int, slots in the circular memory.

    Returns:
        (K,) ints in `[-memory_size // 2, memory_size // 2)`: +1 is the
        slot after the target, -1 the one before, wrapping around.
    """
    half = memory_size // 2
    return (np.asarray(slots) - np.asarray(targets) + half) % memory_size - half


def sequence_addressing(
    priorities, write_slots, read_slots, memory_size, ahead_slots=None
):
    """The first five measures of the module docstring, one sequence.

    Args:
        priorities: (N,) the inputs' priorities.
        write_slots: (N,) the slot of most write weight at each input step.
        read_slots: (K,) the slot of most read weight at each output step.
        memory_size: int, slots in the memory.
        ahead_slots: (K,) the same one step earlier, or None (then
            `read_ahead_hits` is left out).

    Returns:
        dict: the measures (floats) and `wanted`, the indices of the
        inputs to write back, highest priority first.
    """
    # The inputs to write back, highest priority first.
    wanted = np.argsort(-priorities, kind="stable")[: len(read_slots)]
    slots = unwrap_slots(write_slots[wanted], memory_size)
    correlation = np.corrcoef(ranks(priorities[wanted]), ranks(slots))[0, 1]
    _, inverse, counts = np.unique(
        write_slots, return_inverse=True, return_counts=True
    )
    measures = {
        "write_rank_correlation": float(np.nan_to_num(correlation)),
        "distinct_write_slots": float(np.mean(counts[inverse][wanted] == 1)),
        "slots_used": float(len(np.unique(write_slots[wanted]))),
        "read_hits": float(np.mean(write_slots[wanted] == read_slots)),
        "wanted": wanted,
    }
    if ahead_slots is not None:
        measures["read_ahead_hits"] = float(
            np.mean(write_slots[wanted] == ahead_slots)
        )
    return measures


def addressing(model, inputs, task):
    """Per-sequence measures and raw slots for one batch of sequences.

    Args:
        model: a trained `ntm` on priority sort.
        inputs: (B, T, num_bits + 2) priority sort inputs.
        task: the `PrioritySort` task they come from.

    Returns:
        list of dicts, one per sequence: the measures of
        `sequence_addressing` (with `wanted`), `write_peak`, the gates,
        the lookup measures, `priorities` and `write_slots` (counted from
        the widest gap between the wanted inputs' slots).
    """
    inputs = np.asarray(inputs)
    bits = task.num_bits
    steps = list(inspect.step_memory_cell(model, inputs))
    write = np.stack([np.asarray(s["write_weights"])[:, 0] for s in steps], 1)
    read = np.stack([np.asarray(s["read_weights"])[:, 0] for s in steps], 1)
    heads = np.asarray(steps[0]["read_weights"]).shape[1]  # R read heads
    # (B, T, H): the read heads first, then the write heads.
    gates = np.stack([np.asarray(s["gates"]) for s in steps], 1)
    lookups = np.stack(
        [
            np.argmax(
                memory_addressing.content_weights(
                    s["memory_before"], s["keys"], s["strengths"]
                ),
                axis=-1,
            )
            for s in steps
        ],
        1,
    )  # (B, T, H): the slot each head's lookup by content alone peaks on
    memory_size = write.shape[-1]
    results = []
    for b in range(inputs.shape[0]):
        count = int(np.argmax(inputs[b, :, bits + 1] > 0.5))  # N inputs
        outputs = int(task.num_sorted(count))  # K
        priorities = inputs[b, :count, bits]
        write_slots = np.argmax(write[b, :count], axis=-1)
        out = slice(count + 1, count + 1 + outputs)  # the output steps
        read_slots = np.argmax(read[b, out], -1)
        ahead_slots = np.argmax(read[b, count : count + outputs], -1)
        measures = sequence_addressing(
            priorities, write_slots, read_slots, memory_size, ahead_slots
        )
        measures["write_peak"] = float(np.mean(np.max(write[b, :count], -1)))
        wanted = measures["wanted"]
        targets = write_slots[wanted]  # the slots of the vectors to output
        measures["read_gate"] = float(np.mean(gates[b, out, 0]))
        measures["write_gate"] = float(np.mean(gates[b, :count, heads]))
        for name, lookup in (
            ("read", lookups[b, out, 0]),
            ("write", lookups[b, :count, heads][wanted]),
        ):
            offsets = lookup_offsets(lookup, targets, memory_size)
            measures[f"{name}_lookup_offsets"] = offsets
            measures[f"{name}_lookup_hits"] = float(np.mean(offsets == 0))
            measures[f"{name}_lookup_neighbours"] = float(
                np.mean(np.abs(offsets) == 1)
            )
        measures["read_offsets"] = lookup_offsets(
            read_slots, targets, memory_size
        )
        measures["priorities"] = priorities
        measures["write_slots"] = unwrap_slots(
            write_slots, memory_size, targets
        )
        results.append(measures)
    return results


MEASURES = (
    "write_rank_correlation",
    "distinct_write_slots",
    "slots_used",
    "read_hits",
    "read_ahead_hits",
    "write_peak",
    "read_gate",
    "write_gate",
    "read_lookup_hits",
    "read_lookup_neighbours",
    "write_lookup_hits",
    "write_lookup_neighbours",
)


def load(run):
    """The task and model of a run directory or of a saved `.keras` model.

    A `.keras` file (e.g. `convergence.py --save-final`'s
    `model-seed0.keras`) carries no task options, so it is measured on
    `tasks.get("priority_sort")` with the task's defaults, the setting the
    convergence benchmark trains on unless `--set` changed a task option.
    """
    path = pathlib.Path(run)
    if path.suffix != ".keras":
        return checkpointing.load_run(path, "best")
    if not path.is_file():
        raise ValueError(f"Invalid model {str(path)!r}: no such file.")
    model = keras.saving.load_model(path)
    task = tasks.get("priority_sort")
    if model.input_shape[-1] != task.spec.input_dim:
        raise ValueError(
            f"Invalid model {str(path)!r}: it takes {model.input_shape[-1]} "
            "features per step; expected a model trained on priority_sort "
            "with its default options."
        )
    return task, model


def measure(run_dir, sequences):
    """Loads a run and returns its per-sequence results."""
    task, model = load(run_dir)
    if task.name != "priority_sort":
        raise ValueError(
            f"Invalid run {str(run_dir)!r}: trained on {task.name!r}, "
            "expected 'priority_sort'."
        )
    inputs = next(iter(task.dataset("test", sequences)))[0]
    return addressing(model, inputs, task)


def plot(per_run, labels, out, shown=6):
    """Priority against write slot, one panel per run."""
    figure, axes = plt.subplots(
        1, len(per_run), figsize=(4.2 * len(per_run), 3.8), squeeze=False
    )
    for axis, results, label in zip(axes[0], per_run, labels):
        for i, result in enumerate(results[:shown]):
            kept = np.zeros(len(result["priorities"]), bool)
            kept[result["wanted"]] = True
            for mask, marker in ((kept, "o"), (~kept, "x")):
                axis.plot(
                    result["priorities"][mask],
                    result["write_slots"][mask],
                    marker,
                    ms=4,
                    color=plt.cm.tab10(i),
                )
        # Inputs not written back may sit far from the rest: the scale
        # shows the slots of the inputs written back.
        top = max(r["write_slots"][r["wanted"]].max() for r in results[:shown])
        axis.set_ylim(-1, top + 2)
        mean = np.mean([r["write_rank_correlation"] for r in results])
        axis.set_title(f"{label}: rank correlation {mean:.2f}")
        axis.set_xlabel("priority of the input")
        axis.set_ylabel("slot written (from the widest gap)")
    figure.suptitle(
        f"where the write head puts each input ({shown} sequences; "
        "x: inputs not written back, some off the scale)"
    )
    figure.tight_layout()
    figure.savefig(out, dpi=110)


def plot_offsets(per_run, labels, out, reach=4):
    """Where the read head's key points, and where the read lands.

    One panel per run: the share of output steps at each offset from the
    slot to output, for the lookup by content alone and for the final
    read weighting (offsets beyond `reach` pooled at the edges).
    """
    figure, axes = plt.subplots(
        1, len(per_run), figsize=(4.2 * len(per_run), 3.4), squeeze=False
    )
    offsets = np.arange(-reach, reach + 1)
    for axis, results, label in zip(axes[0], per_run, labels):
        for key, shift, name in (
            ("read_lookup_offsets", -0.2, "lookup by content (key)"),
            ("read_offsets", 0.2, "final read weighting"),
        ):
            values = np.clip(
                np.concatenate([r[key] for r in results]), -reach, reach
            )
            shares = [np.mean(values == o) for o in offsets]
            axis.bar(offsets + shift, shares, width=0.4, label=name)
        axis.set_xticks(offsets)
        axis.set_xticklabels(
            [f"<={-reach}"] + [str(o) for o in offsets[1:-1]] + [f">={reach}"]
        )
        axis.set_title(label)
        axis.set_xlabel("slot peaked on, minus the slot to output")
        axis.set_ylabel("share of output steps")
        axis.legend(fontsize=8)
    figure.suptitle("the read head at the output steps")
    figure.tight_layout()
    figure.savefig(out, dpi=110)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dirs", nargs="+")
    parser.add_argument("--labels", default=None)
    parser.add_argument("--sequences", type=int, default=64)
    parser.add_argument("--out", default=None)
    parser.add_argument(
        "--offsets-out",
        default=None,
        help="also draw where the read head's key points (a .png path)",
    )
    args = parser.parse_args(argv)
    if args.sequences < 1:
        parser.error(f"--sequences must be >= 1, received {args.sequences}")
    labels = args.labels.split(",") if args.labels else args.run_dirs
    if len(labels) != len(args.run_dirs):
        parser.error(
            f"--labels: {len(labels)} labels for {len(args.run_dirs)} runs"
        )
    per_run = []
    for run_dir, label in zip(args.run_dirs, labels):
        try:
            results = measure(run_dir, args.sequences)
        except (ValueError, OSError) as error:  # a wrong or unreadable run
            parser.exit(2, f"{parser.prog}: error: {error}\n")
        per_run.append(results)
        means = {
            k: round(float(np.mean([r[k] for r in results])), 3)
            for k in MEASURES
        }
        print(
            json.dumps(
                {
                    "run": str(run_dir),
                    "label": label,
                    "sequences": len(results),
                    **means,
                }
            )
        )
    if args.out:
        plot(per_run, labels, args.out)
    if args.offsets_out:
        plot_offsets(per_run, labels, args.offsets_out)


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
