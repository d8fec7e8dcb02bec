"""Tiny Shakespeare: a memory Transformer against twice the context.

    python benchmarks/memory_transformer_shakespeare.py --seeds 0 \
        --data-dir ../shared/data \
        --out notes/data/memory-transformer-shakespeare.json \
        --plot notes/figures/memory-transformer-shakespeare.png

Experiment 3 of `notes/memory-transformer.md`. Three character-level
language models of about the same size train on Tiny Shakespeare (the
`tiny_shakespeare` task, nats per character), by the names `--models`
takes:

- `transformer_lm_short`: the zoo's `transformer_lm` on windows of
  `--segment-length` characters (32): its context;
- `transformer_lm_long`: the same model on windows of `--long-context`
  characters (64): twice the context, the same parameters (the positions
  are sinusoidal, without weights);
- `ntm_transformer`: attention over segments of `--segment-length`
  characters and an NTM memory per block carried across the segments of a
  window of `--memory-window` characters (256, 8 segments): what a
  segment cannot see, only the memory can carry;
- `transformer_lm_segments`: the context-32 model again, trained on the
  memory model's own batches, each window cut into its segments, each
  segment read alone: the same text per step and the same mix of text
  in a batch as the memory model, without the memory. Against it, the
  difference is the memory and nothing else.

The Transformers' feed-forward width (`--baseline-feed-forward-dim`) is
raised so that their parameter count comes within 10% of the memory
model's; the script prints the counts and refuses sizes that miss.

Every model trains for the same `--steps` with `train_on_batch` and the
zoo's compile defaults (the decoder families' warm-up to 2e-3 over 400
steps; XLA for `transformer_lm`, none for `ntm_transformer`) on the same
number of characters per step, `--characters-per-step`: the batch of each
model is that divided by its window (64 x 32, 32 x 64, 8 x 256 and 64 x
32 at the defaults), so they all see the same amount of text at equal
steps.

Evaluation: every `--eval-every` steps (and at step 0), each model predicts
the first `--eval-characters` characters of the validation split, cut into
consecutive non-overlapping windows of its own training length, and the
loss is the mean cross-entropy over all of them. The characters scored are
the same for every model; the context each prediction has is not: a
32-window model predicts the character at position p of its window from p
earlier characters (0 to 31), the 64-window model from 0 to 63, and the
memory model from the 0 to 31 characters of its segment plus, from the
second segment on, its memory of the earlier segments of the window. The
final evaluation also keeps the loss at each position of the window.

Equal wall-clock: the machine is shared, so the elapsed times of separate
runs are not comparable. Before training, the models are built and
timed side by side: after warm-up steps, `--timing-rounds` windows of
`--timing-steps` training steps each, model after model (A B C A B C ...),
so that every model meets the same load; the median seconds per step of
each model turn steps into estimated seconds. The loss at equal time is
read off each curve (linear interpolation in estimated seconds) at the
estimated time the fastest model needs for all `--steps`.
"""

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import memory_transformer_experiment as experiment  # noqa: E402
import numpy as np  # noqa: E402

import tasks  # noqa: E402

MODELS = (
    "transformer_lm_short",
    "transformer_lm_long",
    "ntm_transformer",
    "transformer_lm_segments",
)
# The zoo model behind each name.
ZOO_NAMES = {
    "transformer_lm_short": "transformer_lm",
    "transformer_lm_long": "transformer_lm",
    "ntm_transformer": "ntm_transformer",
    "transformer_lm_segments": "transformer_lm",
}
# Models that train on the memory model's batches, each window cut into
# independent segments: the same text per step, without the memory.
SEGMENTED = ("transformer_lm_segments",)
# Characters per prediction batch at evaluation (speed only).
EVAL_BATCH_CHARACTERS = 8192
PARAMETER_TOLERANCE = 0.1


def window_of(name, args):
    """The characters per training window of model `name`."""
    return {
        "transformer_lm_short": args.segment_length,
        "transformer_lm_long": args.long_context,
        "ntm_transformer": args.memory_window,
        "transformer_lm_segments": args.segment_length,
    }[name]


def batch_size_of(name, args):
    """Sequences per training step of `name`: same characters per step."""
    return args.characters_per_step // window_of(name, args)


def make_task(name, seed, args):
    """The `tiny_shakespeare` task cut into windows of model `name`."""
    window = window_of(name, args)
    return tasks.get(
        "tiny_shakespeare",
        context_length=window,
        data_dir=args.data_dir,
        seed=seed,
        eval_size=args.eval_characters // window,
    )


def build_model(name, task, args):
    """Returns `(model, config)` for `name`, compiled for `task`."""
    sizes = argparse.Namespace(**vars(args))
    sizes.window = args.segment_length  # the memory model's segment
    model, config = experiment.build(ZOO_NAMES[name], task, sizes)
    return model, dict(config, window=window_of(name, args))


def parameter_counts(args, seed=0):
    """`{name: parameters}` of every model of `args.model_names`."""
    counts = {}
    for name in args.model_names:
        model, _ = build_model(name, make_task(name, seed, args), args)
        counts[name] = int(model.count_params())
    return counts


def check_parameter_counts(counts, tolerance=PARAMETER_TOLERANCE):
    """Raises unless every count is within `tolerance` of the memory model's.

    Without `ntm_transformer` among the models the largest count is the
    reference.
    """
    reference = counts.get("ntm_transformer", max(counts.values()))
    for name, count in counts.items():
        if abs(count - reference) > tolerance * reference:
            raise ValueError(
                f"Invalid `--baseline-feed-forward-dim`: {name} has {count:,} "
                f"parameters against the reference's {reference:,}; expected "
                f"them within {tolerance:.0%}. Change the feed-forward "
                "widths or the memory size."
            )


def validation_windows(task, args):
    """The validation `(inputs, targets)` covering `--eval-characters`."""
    inputs, targets = task.held_out_windows("validation")
    if inputs.size != args.eval_characters:
        raise ValueError(
            f"Invalid `--eval-characters`: received {args.eval_characters}, "
            f"but the validation split holds only {inputs.size} characters "
            f"in windows of {task.context_length}; expected at most that."
        )
    return inputs, targets


def loss_by_position(model, inputs, targets):
    """The mean cross-entropy (nats) at each position of the windows.

    Args:
        model: a model from ids `(batch_size, time)` to logits
            `(batch_size, time, vocabulary)`.
        inputs, targets: `(windows, time)` int arrays.

    Returns:
        `(time,)` float64 array: the loss at each position, averaged over
        the windows. Its mean is the loss per character.
    """
    batch_size = max(1, EVAL_BATCH_CHARACTERS // inputs.shape[1])
    logits = model.predict(inputs, batch_size=batch_size, verbose=0)
    logits = np.asarray(logits, np.float64)  # (windows, T, vocabulary)
    top = logits.max(axis=-1, keepdims=True)
    log_normaliser = np.log(np.exp(logits - top).sum(axis=-1)) + top[..., 0]
    chosen = np.take_along_axis(logits, targets[..., None], axis=-1)[..., 0]
    return (log_normaliser - chosen).mean(axis=0)


def training_batches(name, task, seed, args):
    """The endless iterator of model `name`'s training batches.

    Batches come from `task` (the model's own, from `make_task`), except
    for a model of `SEGMENTED`: it gets the batches of `ntm_transformer`
    (the same seed, so the same windows), each window of
    `--memory-window` characters cut into independent windows of
    `--segment-length`.
    """
    if name not in SEGMENTED:
        return iter(task.dataset("train", batch_size_of(name, args)))
    memory = "ntm_transformer"
    memory_task = make_task(memory, seed, args)
    memory_batches = training_batches(memory, memory_task, seed, args)
    return (
        tuple(np.reshape(array, (-1, args.segment_length)) for array in batch)
        for batch in memory_batches
    )


def train(model, task, args, data, label):
    """Trains `model` for `args.steps`; returns the validation curve.

    At step 0 and every `args.eval_every` steps, evaluates on the
    validation windows and prints the point as a JSON line headed by
    `label` (a dict).

    Returns:
        `(curve, positions)`: the list of dicts with `step`,
        `train_seconds` (measured, evaluations excluded; not comparable
        across runs on a shared machine), `train_loss` and
        `validation_loss`; and the final loss at each window position.
    """
    inputs, targets = validation_windows(task, args)
    positions = loss_by_position(model, inputs, targets)
    curve = [_point(0, 0.0, None, positions, label)]
    train_seconds = 0.0
    for step in range(args.eval_every, args.steps + 1, args.eval_every):
        seconds, logs = _train_steps(model, data, args.eval_every)
        train_seconds += seconds
        positions = loss_by_position(model, inputs, targets)
        curve.append(
            _point(step, train_seconds, float(logs["loss"]), positions, label)
        )
    return curve, positions


def _point(step, train_seconds, train_loss, positions, label):
    point = {
        "step": step,
        "train_seconds": round(train_seconds, 1),
        "train_loss": train_loss,
        "validation_loss": float(positions.mean()),
    }
    print(json.dumps({**label, **point}), flush=True)
    return point


def measure_step_seconds(args, seed):
    """Median training seconds per step of every model, timed side by side.

    Builds each model, runs `args.timing_warmup` untimed steps (tracing
    and compilation), then `args.timing_rounds` rounds in which every model
    in turn trains `args.timing_steps` timed steps: alternating windows
    expose the models to the same load on a shared machine.

    Returns:
        `{name: {"median_step_seconds", "window_step_seconds"}}`.
    """
    prepared = {}
    for name in args.model_names:
        task = make_task(name, seed, args)
        model, _ = build_model(name, task, args)
        data = training_batches(name, task, seed, args)
        prepared[name] = (model, data)
        _train_steps(model, data, args.timing_warmup)
    windows = {name: [] for name in prepared}
    for _ in range(args.timing_rounds):
        for name, (model, data) in prepared.items():
            seconds, _ = _train_steps(model, data, args.timing_steps)
            windows[name].append(seconds / args.timing_steps)
    timing = {
        name: {
            "median_step_seconds": statistics.median(values),
            "window_step_seconds": [round(v, 5) for v in values],
        }
        for name, values in windows.items()
    }
    print(json.dumps({"step_seconds": timing}), flush=True)
    return timing


def _train_steps(model, data, steps):
    """Trains `steps` steps; returns their seconds and the last step's logs."""
    started = time.perf_counter()
    logs = None
    for _ in range(steps):
        inputs, targets, mask = next(data)
        logs = model.train_on_batch(
            inputs, targets, sample_weight=mask, return_dict=True
        )
    return time.perf_counter() - started, logs


def run(name, seed, args):
    """Trains and evaluates one (model, seed); returns its result."""
    keras.utils.set_random_seed(seed)
    task = make_task(name, seed, args)
    model, config = build_model(name, task, args)
    batch_size = batch_size_of(name, args)
    data = training_batches(name, task, seed, args)
    curve, positions = train(
        model, task, args, data, {"model": name, "seed": seed}
    )
    return {
        "model": name,
        "seed": seed,
        "window": window_of(name, args),
        "batch_size": batch_size,
        "parameters": int(model.count_params()),
        "config": config,
        "final_validation_loss": curve[-1]["validation_loss"],
        "best_validation_loss": min(p["validation_loss"] for p in curve),
        "loss_by_position": [round(float(v), 5) for v in positions],
        "curve": curve,
    }


def add_estimated_seconds(results, timing):
    """Adds `estimated_seconds` (step x median step time) to every point."""
    for result in results:
        step_seconds = timing[result["model"]]["median_step_seconds"]
        result["median_step_seconds"] = step_seconds
        for point in result["curve"]:
            point["estimated_seconds"] = round(point["step"] * step_seconds, 2)


def loss_at_seconds(curve, seconds):
    """The validation loss of `curve` at `seconds`, interpolated linearly."""
    return float(
        np.interp(
            seconds,
            [p["estimated_seconds"] for p in curve],
            [p["validation_loss"] for p in curve],
        )
    )


def equal_time_budget(results, seed):
    """The estimated seconds the fastest model of `seed` needs for its run."""
    return min(
        r["curve"][-1]["estimated_seconds"]
        for r in results
        if r["seed"] == seed
    )


def loss_by_segment(positions, segment_length):
    """Mean loss over each block of `segment_length` window positions."""
    positions = np.asarray(positions)
    return [
        float(positions[start : start + segment_length].mean())
        for start in range(0, len(positions), segment_length)
    ]


def summarise(results, segment_length):
    """Adds the equal-time losses and segment losses; returns the table.

    Every result gets `equal_time_seconds` (the budget of its seed),
    `validation_loss_at_equal_time` and `loss_by_segment`.
    """
    rows = [
        "| model | seed | window | batch | parameters | s / step "
        "| loss at equal steps | loss at equal time (s) | first segment "
        "| later segments |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        budget = equal_time_budget(results, result["seed"])
        result["equal_time_seconds"] = budget
        result["validation_loss_at_equal_time"] = loss_at_seconds(
            result["curve"], budget
        )
        segments = loss_by_segment(result["loss_by_position"], segment_length)
        result["loss_by_segment"] = segments
        later = f"{np.mean(segments[1:]):.4f}" if len(segments) > 1 else "-"
        rows.append(
            f"| {result['model']} | {result['seed']} | {result['window']} "
            f"| {result['batch_size']} | {result['parameters']:,} "
            f"| {result['median_step_seconds']:.4f} "
            f"| {result['final_validation_loss']:.4f} "
            f"| {result['validation_loss_at_equal_time']:.4f} ({budget:.0f}) "
            f"| {segments[0]:.4f} | {later} |"
        )
    return "\n".join(rows)


def plot(results, path, title):
    """Validation loss against steps and against estimated seconds."""
    pyplot = experiment._pyplot()
    figure, axes = pyplot.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    names = list(dict.fromkeys(r["model"] for r in results))
    for index, name in enumerate(names):
        for number, result in enumerate(
            r for r in results if r["model"] == name
        ):
            curve = result["curve"][1:]  # step 0 is the untrained model
            label = (
                f"{name}, window {result['window']} "
                f"({result['parameters']:,} parameters)"
                if number == 0
                else None
            )
            for axis, key in zip(axes, ("step", "estimated_seconds")):
                axis.plot(
                    [p[key] for p in curve],
                    [p["validation_loss"] for p in curve],
                    color=f"C{index}",
                    alpha=0.8,
                    label=label,
                )
    for seed in sorted({r["seed"] for r in results}):
        axes[1].axvline(
            equal_time_budget(results, seed),
            color="gray",
            linestyle="--",
            linewidth=1,
        )
    axes[0].set_xlabel("training steps (same characters per step)")
    axes[1].set_xlabel("estimated training seconds (side-by-side step times)")
    axes[0].set_ylabel("validation loss (nats per character)")
    for axis in axes:
        axis.grid(alpha=0.3)
    axes[0].legend()
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    experiment.add_run_options(parser, models=",".join(MODELS))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--segment-length", type=int, default=32)
    parser.add_argument("--long-context", type=int, default=64)
    parser.add_argument("--memory-window", type=int, default=256)
    experiment.add_size_options(
        parser, baseline_feed_forward_dim=304, memory_size=32
    )
    parser.set_defaults(num_layers=2, feed_forward_dim=256)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--characters-per-step", type=int, default=2048)
    parser.add_argument("--eval-characters", type=int, default=32768)
    parser.add_argument("--timing-warmup", type=int, default=5)
    parser.add_argument("--timing-steps", type=int, default=10)
    parser.add_argument("--timing-rounds", type=int, default=5)
    experiment.add_compile_option(
        parser, "transformer_lm on, ntm_transformer off"
    )
    args = parser.parse_args(argv)
    experiment.check_run_options(args, MODELS)
    check_windows(args)
    return args


def check_windows(args):
    """Raises unless the windows fit the segments, the step and the eval."""
    if args.memory_window % args.segment_length:
        raise ValueError(
            f"Invalid `--memory-window`: received {args.memory_window}; "
            f"expected a multiple of --segment-length {args.segment_length} "
            "(whole segments)."
        )
    windows = {name: window_of(name, args) for name in args.model_names}
    for option, value in (
        ("--characters-per-step", args.characters_per_step),
        ("--eval-characters", args.eval_characters),
    ):
        if value < 1 or any(value % window for window in windows.values()):
            raise ValueError(
                f"Invalid `{option}`: received {value}; expected a positive "
                f"multiple of every model's window {sorted(windows.values())}."
            )


def report(args, commit, results, timing):
    """Writes the JSON (and the plot) of the runs so far; returns the table."""
    add_estimated_seconds(results, timing)
    table = summarise(results, args.segment_length)
    experiment.write_report(
        args.out,
        args,
        commit,
        results,
        step_seconds=timing,
        characters_per_step=args.characters_per_step,
        table=table,
    )
    if args.plot:
        plot(
            results,
            args.plot,
            f"Tiny Shakespeare: context {args.segment_length} + memory "
            f"(windows of {args.memory_window}) against context "
            f"{args.segment_length} and {args.long_context}",
        )
    return table


def main(argv=None):
    args = parse_arguments(argv)
    counts = parameter_counts(args, args.seed_list[0])
    print(json.dumps({"parameters": counts}), flush=True)
    check_parameter_counts(counts)
    timing = measure_step_seconds(args, args.seed_list[0])
    results, table = experiment.run_all(
        args,
        run,
        lambda args, commit, results: report(args, commit, results, timing),
    )
    print(table, flush=True)
    return results


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
