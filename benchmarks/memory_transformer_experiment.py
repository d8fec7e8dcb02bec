"""What the memory-Transformer experiments share: models, training, plots.

The experiments of `notes/memory-transformer.md` are thin scripts on top of
this module:

- `memory_transformer_copy.py`: experiment 1, copy past the window;
- `memory_transformer_recall.py`: experiment 2, associative recall with
  more items than fit in the window;
- `memory_transformer_length.py`: experiment 5, length generalisation on
  copy.

Every model sees a bit task through the zoo (`zoo.build`, sized and
compiled with the family's defaults) and trains with `train_on_batch` on
the task's `train` split, one (model, seed) at a time. The models, by the
names the scripts' `--models` take:

- `segment_transformer`: the zoo's `transformer_lm` (decoder-only, bits
  modality, causal) run on each window of `window` steps separately, the
  windows cut exactly like the memory models' segments, with positions
  restarting in each window (`SegmentLocal`). It is `ntm_transformer`
  without its memory: the same sublayers, the same positions, nothing that
  crosses a window.
- `transformer_lm`: the same decoder on the whole input (attention over
  every earlier step, sinusoidal positions 0 to T - 1).
- `ntm_transformer`, `dnc_transformer`: the memory Transformers with
  `segment_length` = the window.
- `ntm`: the zoo's NTM (LSTM controller).

Legend: B = batch size, T = steps, K = windows per sequence.
"""

import json
import os
import pathlib
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

import zoo  # noqa: E402
from zoo.training import run_files  # noqa: E402

MEMORY_TRANSFORMERS = ("ntm_transformer", "dnc_transformer")
MODELS = ("segment_transformer", "transformer_lm", *MEMORY_TRANSFORMERS, "ntm")


class SegmentLocal(keras.layers.Layer):
    """Runs `inner` on each window of `window` steps separately.

    The input is padded with zeros to `K` whole windows, the windows are
    stacked along the batch axis, `inner` runs on them, and the outputs are
    put back in order and cropped to the input's length. No step sees
    another window.

    Args:
        inner: a `keras.Model` from `(batch_size, window, features)` to
            `(batch_size, window, output_dim)`.
        window: int. Steps per window.

    Call arguments:
        inputs: `(batch_size, time, features)`.

    Returns:
        `(batch_size, time, output_dim)`.
    """

    def __init__(self, inner, window, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner
        self.window = window

    def call(self, inputs):
        batch_size, length = ops.shape(inputs)[0], ops.shape(inputs)[1]
        windows = (length + self.window - 1) // self.window  # K
        padded = ops.pad(
            inputs, ((0, 0), (0, windows * self.window - length), (0, 0))
        )  # (B, K * window, features)
        pieces = ops.reshape(
            padded, (batch_size * windows, self.window, inputs.shape[-1])
        )  # (B * K, window, features)
        outputs = self.inner(pieces)
        outputs = ops.reshape(
            outputs, (batch_size, windows * self.window, outputs.shape[-1])
        )  # (B, K * window, output_dim)
        return outputs[:, :length]


def check_models(text, allowed):
    """Returns the model names in comma-separated `text`; all in `allowed`."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ValueError(
            f"Invalid `--models`: received {text!r}; expected a "
            f"comma-separated list from {list(allowed)}."
        )
    for name in names:
        if name not in allowed:
            raise ValueError(
                f"Invalid `--models`: received {name!r}; expected names "
                f"from {list(allowed)}."
            )
    return names


def check_seeds(text):
    """Returns the seeds in comma-separated `text`, as ints >= 0."""
    try:
        seeds = [int(seed) for seed in text.split(",")]
    except ValueError:
        seeds = []
    if not seeds or min(seeds) < 0:
        raise ValueError(
            f"Invalid `--seeds`: received {text!r}; expected comma-separated "
            "integers >= 0, e.g. '0,1,2'."
        )
    return seeds


def add_run_options(parser, *, models):
    """Adds the options of which runs to make and where to report them."""
    parser.add_argument("--models", default=models)
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--out", required=True)
    parser.add_argument("--plot", default=None)


def check_run_options(args, allowed):
    """Checks the run options; sets `args.model_names` and `args.seed_list`."""
    args.model_names = check_models(args.models, allowed)
    args.seed_list = check_seeds(args.seeds)
    check_schedule(args.steps, args.eval_every)


def run_all(args, run, report):
    """Runs every model of `args` for every seed, reporting after each run.

    Args:
        args: the parsed options (`seed_list`, `model_names`).
        run: function `(name, seed, args) -> dict` that trains one model.
        report: function `(args, commit, results) -> summary` that writes
            the JSON and the plot of the runs so far, so that a stopped
            experiment keeps what it ran.

    Returns:
        `(results, summary)`: the list of run dicts, each with its
        `wall_seconds`, and the last report's summary.
    """
    commit = current_commit()
    results = []
    summary = None
    for seed in args.seed_list:
        for name in args.model_names:
            started = time.perf_counter()
            result = run(name, seed, args)
            result["wall_seconds"] = round(time.perf_counter() - started, 1)
            results.append(result)
            summary = report(args, commit, results)
    return results, summary


def check_schedule(steps, eval_every):
    """Raises unless `eval_every` is positive and divides `steps`."""
    if eval_every < 1 or steps < eval_every or steps % eval_every:
        raise ValueError(
            f"Invalid `--eval-every`: received {eval_every} with --steps "
            f"{steps}; expected a positive divisor of --steps (the curve is "
            "evaluated every --eval-every steps, last at --steps)."
        )


def add_size_options(parser, *, baseline_feed_forward_dim, memory_size):
    """Adds the model sizes every experiment takes to `parser`."""
    parser.add_argument("--num-layers", type=int, default=1)
    parser.add_argument("--model-dim", type=int, default=64)
    parser.add_argument("--num-heads", type=int, default=4)
    parser.add_argument("--feed-forward-dim", type=int, default=128)
    parser.add_argument(
        "--baseline-feed-forward-dim",
        type=int,
        default=baseline_feed_forward_dim,
        help="feed-forward width of the Transformers without memory, "
        "raised to match the memory models' parameters",
    )
    parser.add_argument("--memory-size", type=int, default=memory_size)
    parser.add_argument("--word-size", type=int, default=16)
    parser.add_argument(
        "--zero-init-read",
        action="store_true",
        help="start the memory blocks' read output projections at zero, so "
        "that a fresh memory model begins as a plain Transformer",
    )


def add_training_options(parser, *, steps, eval_every):
    """Adds the training and evaluation options to `parser`."""
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--eval-every", type=int, default=eval_every)
    parser.add_argument("--eval-size", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    add_compile_option(
        parser, "transformer_lm and ntm on, the memory Transformers off"
    )


def add_compile_option(parser, defaults):
    """Adds `--jit-compile`; `defaults` says which families use XLA."""
    parser.add_argument(
        "--jit-compile",
        choices=("default", "on", "off", "eager"),
        default="default",
        help=f"XLA for every model: the family's default ({defaults}), on "
        "or off; eager: no tracing at all (slow steps, for debugging and "
        "the tests)",
    )


def _jit_compile(args):
    """The `jit_compile` compile override of `--jit-compile`, or None."""
    modes = {"default": None, "on": True, "off": False, "eager": False}
    return modes[args.jit_compile]


def build(name, task, args):
    """Returns `(model, config)` for model `name`, compiled for `task`.

    `args` carries the sizes of `add_size_options` and `window`; the
    `ntm` also reads `ntm_memory_size` (its controller and word size are
    the zoo's defaults).
    """
    sizes = {
        "num_layers": args.num_layers,
        "model_dim": args.model_dim,
        "num_heads": args.num_heads,
        "dropout": 0.0,
    }
    compile_overrides = {"jit_compile": _jit_compile(args)}
    if name == "ntm":
        overrides = {"memory_size": args.ntm_memory_size}
    elif name in MEMORY_TRANSFORMERS:
        overrides = dict(
            sizes,
            feed_forward_dim=args.feed_forward_dim,
            segment_length=args.window,
            memory_size=args.memory_size,
            word_size=args.word_size,
            zero_init_read=args.zero_init_read,
        )
    else:
        overrides = dict(sizes, feed_forward_dim=args.baseline_feed_forward_dim)
    if name == "segment_transformer":
        model = _segment_transformer(
            task, overrides, compile_overrides, args.window
        )
        overrides = dict(overrides, window=args.window)
    else:
        model = zoo.build(
            name,
            task,
            model_overrides=overrides,
            compile_overrides=compile_overrides,
        )
    model.run_eagerly = args.jit_compile == "eager"
    return model, overrides


def _segment_transformer(task, overrides, compile_overrides, window):
    """`transformer_lm` on each window of `window` steps, compiled like it."""
    config = zoo.resolve_config("transformer_lm", task, **overrides)
    inner = zoo.get("transformer_lm", **config)
    inputs = keras.Input((None, task.spec.input_dim), name="inputs")
    model = keras.Model(
        inputs,
        SegmentLocal(inner, window, name="windows")(inputs),
        name="segment_transformer",
    )
    options = zoo.describe("transformer_lm").compile_options(config)
    if compile_overrides["jit_compile"] is not None:
        options["jit_compile"] = compile_overrides["jit_compile"]
    zoo.compile_for_task(model, task, **options)
    return model


def bit_errors(model, dataset):
    """Returns the held-out bit errors per sequence of `model` on `dataset`."""
    evaluation = model.evaluate(dataset, verbose=0, return_dict=True)
    return float(evaluation["bit_errors_per_sequence"])


def train(model, task, args, label):
    """Trains `model` on `task`; returns the curve of held-out errors.

    Every `args.eval_every` of `args.steps` steps of batch
    `args.batch_size`, evaluates on the task's `test` split and prints the
    point as a JSON line headed by `label` (a dict).

    Returns:
        list of dicts with `step`, `train_seconds` (training only, so
        evaluations excluded), `train_loss` and `bit_errors_per_sequence`.
    """
    test = task.dataset("test", args.batch_size)
    data = iter(task.dataset("train", args.batch_size))
    curve = []
    train_seconds = 0.0
    for step in range(args.eval_every, args.steps + 1, args.eval_every):
        started = time.perf_counter()
        for _ in range(args.eval_every):
            inputs, targets, mask = next(data)
            logs = model.train_on_batch(
                inputs, targets, sample_weight=mask, return_dict=True
            )
        train_seconds += time.perf_counter() - started
        point = {
            "step": step,
            "train_seconds": round(train_seconds, 1),
            "train_loss": float(logs["loss"]),
            "bit_errors_per_sequence": bit_errors(model, test),
        }
        curve.append(point)
        print(json.dumps({**label, **point}), flush=True)
    return curve


def summarise(curve):
    """The final and best errors of `curve`, and when it first reached 0.1."""
    errors = [point["bit_errors_per_sequence"] for point in curve]
    reached = [p["step"] for p in curve if p["bit_errors_per_sequence"] <= 0.1]
    return {
        "final_bit_errors_per_sequence": errors[-1],
        "best_bit_errors_per_sequence": min(errors),
        "first_step_at_most_0.1": reached[0] if reached else None,
    }


def current_commit():
    """The short hash of HEAD, read before training (the code that runs).

    A checkout with changes to tracked files gets `+changes` after the hash:
    its results are not the commit's alone.
    """
    commit = run_files.git_commit(short=True) or ""
    return commit + ("+changes" if run_files.git_changed_files() else "")


def write_report(path, args, commit, results, **extra):
    """Writes the experiment's JSON: command, commit, machine, results."""
    report = {
        "command": " ".join(["python", *sys.argv]),
        "commit": commit,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared)",
        "arguments": vars(args),
        **extra,
        "results": results,
    }
    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(path).write_text(json.dumps(report, indent=1) + "\n")
    return report


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    return pyplot


def plot_curves(results, path, title, batch_size=32):
    """Plots held-out bit errors against steps, one colour per model."""
    pyplot = _pyplot()
    figure, axis = pyplot.subplots(figsize=(8, 4.5))
    names = list(dict.fromkeys(r["model"] for r in results))
    for index, name in enumerate(names):
        for number, result in enumerate(
            r for r in results if r["model"] == name
        ):
            axis.plot(
                [p["step"] for p in result["curve"]],
                [p["bit_errors_per_sequence"] for p in result["curve"]],
                color=f"C{index}",
                alpha=0.8,
                label=(
                    f"{name} ({result['parameters']:,} parameters)"
                    if number == 0
                    else None
                ),
            )
    save_error_figure(
        figure, axis, path, f"training steps (batch {batch_size})", title
    )


def save_error_figure(figure, axis, path, xlabel, title):
    """Finishes a figure of held-out bit errors and writes it to `path`.

    The goal (0.1 bit errors per sequence) as a dashed line, a log scale
    that keeps 0, the labels, grid and legend.
    """
    axis.axhline(0.1, color="gray", linestyle="--", linewidth=1)
    axis.set_yscale("symlog", linthresh=0.1)
    axis.set_ylim(bottom=0)
    axis.set_xlabel(xlabel)
    axis.set_ylabel("bit errors per sequence (held out)")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    _pyplot().close(figure)


def mean_by_model(results, key):
    """`{model: mean of result[key] over its seeds}`, in first-seen order."""
    names = list(dict.fromkeys(r["model"] for r in results))
    return {
        name: float(np.mean([r[key] for r in results if r["model"] == name]))
        for name in names
    }
