"""Copy past the attention window: memory Transformers against a windowed one.

    python benchmarks/memory_transformer_copy.py --seeds 0 \
        --out notes/data/memory-transformer-copy.json \
        --plot notes/figures/memory-transformer-copy.png

Experiment 1 of `notes/memory-transformer.md`. Every model sees the copy
task (`tasks.get("copy")`, lengths 1 to `--max-length`, `--num-bits` bits,
so `2 L + 1` steps) through an attention window of `--window` steps:

- `segment_transformer`: the zoo's `transformer_lm` (decoder-only, bits
  modality, causal) run on each window of `--window` steps separately, the
  windows cut exactly like the memory models' segments, with positions
  restarting in each window. It is `ntm_transformer` without its memory:
  the same attention and feed-forward sublayers, the same positions, and
  nothing that crosses a window; its feed-forward width is raised so that
  its parameter count comes within 10% of the memory model's.
- `ntm_transformer`: the same width, depth and window, plus an NTM memory
  per block carried across windows.
- `dnc_transformer` (with `--models` naming it): the same with DNC
  allocation.

Each (model, seed) trains with the zoo's compile defaults for `--steps`
steps of batch `--batch-size` and is evaluated every `--eval-every` steps on
`--eval-size` held-out sequences (the task's `test` split, lengths 1 to
`--max-length`). One run at a time; the JSON records the curves, the
parameter counts and the seconds.
"""

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
from keras import ops  # noqa: E402

import tasks  # noqa: E402
import zoo  # noqa: E402

MEMORY_MODELS = ("ntm_transformer", "dnc_transformer")


class SegmentLocal(keras.layers.Layer):
    """Runs `inner` on each window of `window` steps separately."""

    def __init__(self, inner, window, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner
        self.window = window

    def call(self, inputs):
        batch_size, length = ops.shape(inputs)[0], ops.shape(inputs)[1]
        windows = (length + self.window - 1) // self.window
        padded = ops.pad(
            inputs, ((0, 0), (0, windows * self.window - length), (0, 0))
        )
        pieces = ops.reshape(
            padded, (batch_size * windows, self.window, inputs.shape[-1])
        )
        outputs = self.inner(pieces)
        outputs = ops.reshape(
            outputs, (batch_size, windows * self.window, outputs.shape[-1])
        )
        return outputs[:, :length]


def _sizes(args):
    return {
        "num_layers": args.num_layers,
        "model_dim": args.model_dim,
        "num_heads": args.num_heads,
        "dropout": 0.0,
    }


def build(name, task, args):
    """Returns `(model, config)`, compiled for `task`."""
    sizes = _sizes(args)
    if name in MEMORY_MODELS:
        overrides = dict(
            sizes,
            feed_forward_dim=args.feed_forward_dim,
            segment_length=args.window,
            memory_size=args.memory_size,
            word_size=args.word_size,
        )
        model = zoo.get(name, task=task, **overrides)
        return model, overrides
    overrides = dict(sizes, feed_forward_dim=args.baseline_feed_forward_dim)
    inner = zoo.get(
        "transformer_lm",
        **zoo.resolve_config("transformer_lm", task, **overrides),
    )
    inputs = keras.Input((None, task.spec.input_dim), name="inputs")
    model = keras.Model(
        inputs,
        SegmentLocal(inner, args.window, name="windows")(inputs),
        name="segment_transformer",
    )
    options = zoo.describe("transformer_lm").compile_options(
        zoo.resolve_config("transformer_lm", task, **overrides)
    )
    zoo.compile_for_task(model, task, **options)
    return model, dict(overrides, window=args.window)


def run(name, seed, args):
    keras.utils.set_random_seed(seed)
    task = tasks.get(
        "copy",
        num_bits=args.num_bits,
        max_length=args.max_length,
        seed=seed,
        eval_size=args.eval_size,
    )
    model, config = build(name, task, args)
    test = task.dataset("test", args.batch_size)
    curve = []
    train_seconds = 0.0
    data = iter(task.dataset("train", args.batch_size))
    for step in range(args.eval_every, args.steps + 1, args.eval_every):
        started = time.perf_counter()
        for _ in range(args.eval_every):
            inputs, targets, mask = next(data)
            logs = model.train_on_batch(
                inputs, targets, sample_weight=mask, return_dict=True
            )
        train_seconds += time.perf_counter() - started
        evaluation = model.evaluate(test, verbose=0, return_dict=True)
        point = {
            "step": step,
            "train_seconds": round(train_seconds, 1),
            "train_loss": float(logs["loss"]),
            "bit_errors_per_sequence": float(
                evaluation["bit_errors_per_sequence"]
            ),
        }
        curve.append(point)
        print(json.dumps({"model": name, "seed": seed, **point}), flush=True)
    return {
        "model": name,
        "seed": seed,
        "parameters": int(model.count_params()),
        "config": config,
        "final_bit_errors_per_sequence": curve[-1]["bit_errors_per_sequence"],
        "best_bit_errors_per_sequence": min(
            p["bit_errors_per_sequence"] for p in curve
        ),
        "curve": curve,
    }


def plot(results, path, title):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axis = pyplot.subplots(figsize=(8, 4.5))
    names = sorted({r["model"] for r in results})
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
    axis.axhline(0.1, color="gray", linestyle="--", linewidth=1)
    axis.set_yscale("symlog", linthresh=0.1)
    axis.set_ylim(bottom=0)
    axis.set_xlabel("training steps (batch 32)")
    axis.set_ylabel("bit errors per sequence (held out)")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", default="segment_transformer,ntm_transformer"
    )
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--window", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=8)
    parser.add_argument("--num-bits", type=int, default=6)
    parser.add_argument("--num-layers", type=int, default=1)
    parser.add_argument("--model-dim", type=int, default=64)
    parser.add_argument("--num-heads", type=int, default=4)
    parser.add_argument("--feed-forward-dim", type=int, default=128)
    parser.add_argument("--baseline-feed-forward-dim", type=int, default=172)
    parser.add_argument("--memory-size", type=int, default=16)
    parser.add_argument("--word-size", type=int, default=16)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--eval-size", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--out", required=True)
    parser.add_argument("--plot", default=None)
    args = parser.parse_args(argv)
    # Read before training: the code that runs is the code at the start.
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    results = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        for name in args.models.split(","):
            started = time.perf_counter()
            result = run(name, seed, args)
            result["wall_seconds"] = round(time.perf_counter() - started, 1)
            results.append(result)
    report = {
        "command": " ".join(["python", *sys.argv]),
        "commit": commit,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared)",
        "arguments": vars(args),
        "results": results,
    }
    pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    if args.plot:
        plot(
            results,
            args.plot,
            f"copy, lengths 1-{args.max_length}, window {args.window}",
        )


if __name__ == "__main__":
    main()
