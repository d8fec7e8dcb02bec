"""Training and data-pipeline throughput of zoo models, as JSON.

    python benchmarks/throughput.py lstm --task copy --batch-size 32
    python benchmarks/throughput.py ntm lstm:units=100,num_layers=1 \
        --task copy --batch-size 1 --jit-compile on --set max_length=20

Windows and warm-up are counted in steps and should be multiples of
`--steps-per-execution`. With XLA (`--jit-compile`, by default as the model
family chooses) batches are padded in time to multiples of `--time-bucket`
(8 by default) so that compilation happens a few times, during warm-up.

A model may carry its own overrides after a colon (`NAME:key=value,...`):
model options, and the training options `jit_compile` (on, off), `time_bucket`,
`steps_per_execution` and `dtype_policy` (a Keras dtype policy, e.g.
`mixed_bfloat16`), so one command can compare a model with itself; `--set`
applies to every model and to the task.

With `--rounds N` the models are built and warmed up first, then timed in
turn, one window each, N times over (A B A B ...): on a shared machine the
load changes by the minute, and alternating windows exposes every model to
the same load. The result gives each model's median and its ratio to the
first model. `--preset nanogpt` is the comparison with nanoGPT's CPU
configuration of `shakespeare_char` (4 layers, 4 heads, width 128, context
64, batch 12, dropout 0), with and without XLA:

    python benchmarks/throughput.py --preset nanogpt --data-dir ../shared/data

For language models the result also gives tokens (characters) per second:
batch size times the context length.

`--data numpy` trains on copy batches made in NumPy instead of the task's
`tf.data` pipeline: every sequence has the longest length, `max_length`
(`T = 2 * max_length + 1`), and nothing imports TensorFlow, so it runs
where only JAX is installed (the default when TensorFlow cannot be
imported):

    KERAS_BACKEND=jax python benchmarks/throughput.py ntm --data numpy

Without TensorFlow the training options take `ntm-keras train`'s defaults
(batch 32, the model family's compile options) and `--set` takes the copy
task's `num_bits` and `max_length`.

For each model: training sequences per second through `model.fit` on the
task's real pipeline (the median over several timed windows, after warm-up
steps that include tracing and compilation), the peak resident memory of the
process, and the pipeline's own sequences per second (batches made and
discarded, no model). Models listed together are measured in the same run,
one after the other, so their ratio is meaningful on a noisy machine.
"""

import argparse
import dataclasses
import importlib.util
import json
import os
import platform
import resource
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from ntm_keras import losses, metrics  # noqa: E402
from zoo import cli, registry  # noqa: E402

# `tasks` and `zoo.training` (the loop) import TensorFlow: they are imported
# for `--data pipeline` only.


class WindowTimer(keras.callbacks.Callback):
    """Records the wall time of every `window` training steps."""

    def __init__(self, warmup, window):
        super().__init__()
        self.warmup = warmup
        self.window = window
        self.marks = []

    def on_train_batch_end(self, batch, logs=None):
        done = batch + 1
        if done >= self.warmup and (done - self.warmup) % self.window == 0:
            self.marks.append(time.perf_counter())


def training_rate(model, data, batch_size, warmup, window, windows):
    """Returns the sequences per second of each timed window of `fit`."""
    timer = WindowTimer(warmup, window)
    model.fit(
        data,
        steps_per_epoch=warmup + window * windows,
        epochs=1,
        callbacks=[timer],
        shuffle=False,
        verbose=0,
    )
    return [
        window * batch_size / (later - earlier)
        for earlier, later in zip(timer.marks, timer.marks[1:])
    ]


def pipeline_rate(data, batch_size, warmup, window, windows):
    """Returns the sequences per second of each timed window of the data."""
    iterator = iter(data)
    for _ in range(warmup):
        next(iterator)
    rates = []
    for _ in range(windows):
        start = time.perf_counter()
        for _ in range(window):
            next(iterator)
        rates.append(window * batch_size / (time.perf_counter() - start))
    return rates


def peak_memory_mb():
    """Peak resident memory of this process so far, in MiB (Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Per-model options besides model overrides (`NAME:key=value`).
TRAINING_KEYS = ("jit_compile", "time_bucket", "steps_per_execution")
POLICY_KEY = "dtype_policy"

# Named comparisons: the models (with their own options), task and settings.
PRESETS = {
    # nanoGPT's documented CPU run of `shakespeare_char`: 4 layers, 4 heads,
    # width 128, context 64, batch 12, dropout 0 (transformer_lm's defaults
    # are the same size), with and without XLA.
    "nanogpt": {
        "models": [
            "transformer_lm:jit_compile=off",
            "transformer_lm:jit_compile=on",
        ],
        "task": "tiny_shakespeare",
        "batch_size": 12,
        "set": ["dropout=0", "context_length=64"],
        "rounds": 7,
        "warmup_steps": 20,
        "window_steps": 40,
    },
}


def apply_preset(args):
    """Fills the arguments the user left at their defaults from `--preset`."""
    if args.preset is None:
        return args
    preset = PRESETS[args.preset]
    if not args.models:
        args.models = list(preset["models"])
    args.set = list(preset["set"]) + list(args.set)
    for key in ("task", "batch_size", "rounds", "warmup_steps", "window_steps"):
        if getattr(args, key) is None:
            setattr(args, key, preset[key])
    return args


def fill_defaults(args):
    """The defaults of the options a preset may set."""
    if args.data is None:
        args.data = "pipeline" if tensorflow_installed() else "numpy"
    if args.data == "numpy" and (args.task or "copy") != "copy":
        raise ValueError(
            f"Invalid `--task` with --data numpy: received {args.task!r}; "
            "expected copy, the one task made in NumPy."
        )
    if args.data == "pipeline" and not tensorflow_installed():
        raise ValueError(
            "Invalid `--data`: received 'pipeline', but TensorFlow, which "
            "the task pipelines need, is not installed; expected --data "
            "numpy."
        )
    defaults = {
        "task": "copy",
        "batch_size": TRAINING_OPTIONS["batch_size"][1],
        "rounds": 1,
        "warmup_steps": 20,
        "window_steps": 20,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if not args.models:
        raise ValueError("Name at least one model, or use --preset.")
    return args


def split_own_options(own):
    """Splits `NAME:key=value` options: model, training, dtype policy."""
    model, trainer, policy = {}, {}, None
    for key, value in own.items():
        if key in TRAINING_KEYS:
            trainer[key] = value if key == "jit_compile" else int(value)
        elif key == POLICY_KEY:
            policy = value
        else:
            model[key] = value
    return model, trainer, policy


# `--data`: the task's `tf.data` pipeline, or copy batches made in NumPy.
DATA_SOURCES = ("pipeline", "numpy")

# `ntm-keras train`'s defaults of the benchmark's training options
# (`zoo.training.TRAINING_DEFAULTS`, whose module imports the tasks and so
# TensorFlow), for machines without TensorFlow. None: the model family's
# choice. A test checks that they agree.
TRAINING_OPTIONS = {
    "batch_size": (int, 32),
    "jit_compile": ("switch", None),
    "time_bucket": (int, None),
    "steps_per_execution": (int, None),
    "learning_rate": (float, None),
    "global_clipnorm": (float, None),
    "amsgrad": ("switch", None),
}
# `zoo.training.DEFAULT_TIME_BUCKET`: the time bucket with XLA.
DEFAULT_TIME_BUCKET = 8


def tensorflow_installed():
    """Whether `import tensorflow` would find the package (without it)."""
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except ImportError:
        return False


def add_training_options(parser):
    """Adds the training options: `ntm-keras train`'s, or the same by hand.

    With TensorFlow, `zoo.cli.add_training_options` declares them; without
    it, `TRAINING_OPTIONS` gives the same flags and defaults.
    """
    if tensorflow_installed():
        cli.add_training_options(parser, tuple(TRAINING_OPTIONS))
        return
    parser.set_defaults(training_option_names=tuple(TRAINING_OPTIONS))
    for name, (kind, default) in TRAINING_OPTIONS.items():
        flag = "--" + name.replace("_", "-")
        if kind == "switch":
            parser.add_argument(
                flag, choices=("auto", "on", "off"), default="auto"
            )
        else:
            parser.add_argument(flag, type=kind, default=default)


@dataclasses.dataclass(frozen=True)
class BitSpec:
    """The copy task's `tasks.TaskSpec`, without importing the tasks."""

    modality: str
    input_dim: int
    output_dim: int
    structure: str = "sequence"

    def model_overrides(self, accepted=None):
        """The model arguments that size a model to the task."""
        sizes = {
            "modality": self.modality,
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
        }
        if accepted is None or "structure" in accepted:
            sizes["structure"] = self.structure
        return sizes


class NumpyCopy:
    """The copy task of `tasks.get("copy")`, made with NumPy at full length.

    Every sequence has `max_length` random `num_bits`-bit vectors, then the
    delimiter on its own channel, then the recall phase, which alone is
    scored: `T = 2 * max_length + 1`, padded with unscored zeros to a
    multiple of the time bucket. Loss and metrics are the copy task's.

    Args:
        num_bits: int. Bits per vector. Defaults to `8`.
        max_length: int. Vectors per sequence. Defaults to `20`.
        seed: int. Seed of the random bits. Defaults to `0`.
    """

    name = "copy"
    OPTIONS = ("num_bits", "max_length")

    def __init__(self, *, num_bits=8, max_length=20, seed=0):
        self.num_bits = int(num_bits)
        self.max_length = int(max_length)
        self.seed = int(seed)
        for option in self.OPTIONS:
            if getattr(self, option) < 1:
                raise ValueError(
                    f"Invalid `{option}`: received {getattr(self, option)}; "
                    "expected a positive int."
                )
        self.spec = BitSpec("bits", self.num_bits + 1, self.num_bits)

    def loss(self):
        return losses.SequenceBinaryCrossentropy()

    def metrics(self):
        return [
            metrics.BitsPerSequence(),
            metrics.BitErrorsPerSequence(),
            metrics.SequenceAccuracy(),
        ]

    def batch(self, rng, batch_size, time_bucket=0):
        """One batch: `(B, T, D + 1)` inputs, `(B, T, D)` targets, `(B, T)`."""
        length = self.max_length
        time = 2 * length + 1
        if time_bucket:
            time = -(-time // time_bucket) * time_bucket
        bits = (rng.random((batch_size, length, self.num_bits)) < 0.5).astype(
            "float32"
        )
        inputs = np.zeros((batch_size, time, self.num_bits + 1), "float32")
        targets = np.zeros((batch_size, time, self.num_bits), "float32")
        mask = np.zeros((batch_size, time), "float32")
        inputs[:, :length, :-1] = bits
        inputs[:, length, -1] = 1.0  # the delimiter
        targets[:, length + 1 : 2 * length + 1] = bits
        mask[:, length + 1 : 2 * length + 1] = 1.0
        return inputs, targets, mask

    def batches(self, batch_size, time_bucket=0):
        """Endless fresh batches (a generator `model.fit` takes)."""
        rng = np.random.default_rng(self.seed)
        while True:
            yield self.batch(rng, batch_size, time_bucket)


def split_numpy_overrides(name, overrides):
    """`--set` for `--data numpy`: the copy task's options, else the model's."""
    model_overrides, task_overrides = {}, {}
    for key, value in overrides.items():
        owner, _, bare = key.rpartition(".")
        if owner == "task" or (not owner and bare in NumpyCopy.OPTIONS):
            if bare not in NumpyCopy.OPTIONS:
                raise ValueError(
                    f"Unknown override {key!r}: with --data numpy the task "
                    f"takes {list(NumpyCopy.OPTIONS)}."
                )
            task_overrides[bare] = int(value)
        else:
            model_overrides[bare] = value
    return model_overrides, task_overrides


def build_numpy_model(name, task, model_overrides, args):
    """`cli.build_model` without the training loop's module (TensorFlow)."""
    options = cli.training_options(args)
    model = registry.build(
        name,
        task,
        model_overrides=model_overrides,
        compile_overrides={
            key: options.get(key)
            for key in TRAINING_OPTIONS
            if key not in ("batch_size", "time_bucket")
        },
    )
    bucket = options.get("time_bucket")
    if bucket is None:
        bucket = DEFAULT_TIME_BUCKET if model.jit_compile else 0
    return model, bucket


def prepare(entry, args, overrides):
    """Builds one entry's task, model and data; returns a dict."""
    name, _, own = entry.partition(":")
    own = cli.parse_sets(pair for pair in own.split(",") if pair)
    own_model, own_training, policy = split_own_options(own)
    if args.data == "numpy":
        model_overrides, task_overrides = split_numpy_overrides(name, overrides)
    else:
        import tasks
        from zoo import training

        model_overrides, task_overrides = training.split_overrides(
            name, args.task, overrides
        )
    model_overrides.update(own_model)
    entry_args = argparse.Namespace(**{**vars(args), **own_training})
    keras.utils.set_random_seed(0)
    if args.data == "numpy":
        task = NumpyCopy(**task_overrides)
        build = build_numpy_model
    else:
        task = tasks.get(args.task, **task_overrides)
        build = cli.build_model
    previous = keras.config.dtype_policy()
    if policy is not None:
        keras.config.set_dtype_policy(policy)
    try:
        model, bucket = build(name, task, model_overrides, entry_args)
    finally:
        keras.config.set_dtype_policy(previous)
    if args.data == "numpy":
        data = task.batches(args.batch_size, bucket)
    else:
        data = training.dataset(task, "train", args.batch_size, bucket)
    return {
        "entry": entry,
        "name": name,
        "own": own,
        "policy": policy or previous.name,
        "task": task,
        "model": model,
        "bucket": bucket,
        "data": data,
    }


def tokens_per_sequence(task):
    """Steps per training sequence of a language task, else None."""
    return getattr(task, "context_length", None)


def describe(prepared, args, rates):
    """The JSON row of one model: medians, windows and settings."""
    model, task = prepared["model"], prepared["task"]
    train_median = statistics.median(rates)
    row = {
        "model": prepared["name"],
        "entry": prepared["entry"],
        "task": args.task,
        "batch_size": args.batch_size,
        "jit_compile": bool(model.jit_compile),
        "time_bucket": prepared["bucket"],
        "steps_per_execution": model.steps_per_execution,
        "dtype_policy": prepared["policy"],
        "backend": keras.backend.backend(),
        "data": args.data,
        "parameters": model.count_params(),
        "train_sequences_per_second": round(train_median, 2),
        "train_windows": [round(r, 2) for r in rates],
        "ms_per_step": round(1000 * args.batch_size / train_median, 2),
    }
    context = tokens_per_sequence(task)
    if context is not None:
        row["context_length"] = context
        row["train_tokens_per_second"] = round(train_median * context, 1)
    return row


def measure(entry, args, overrides):
    """Times one model alone (windows within one `fit`), and its pipeline."""
    prepared = prepare(entry, args, overrides)
    data = prepared["data"]
    rates = training_rate(
        prepared["model"],
        data,
        args.batch_size,
        args.warmup_steps,
        args.window_steps,
        args.windows,
    )
    pipeline = pipeline_rate(
        data,
        args.batch_size,
        args.warmup_steps,
        args.window_steps * 5,
        args.windows,
    )
    row = describe(prepared, args, rates)
    data_median = statistics.median(pipeline)
    row["pipeline_sequences_per_second"] = round(data_median, 2)
    row["pipeline_to_training_ratio"] = round(
        data_median / row["train_sequences_per_second"], 2
    )
    row["peak_memory_mb"] = round(peak_memory_mb(), 1)
    row["overrides"] = prepared["own"]
    return row


def one_window(prepared, args):
    """One timed window of `fit` after one untimed execution."""
    per_call = prepared["model"].steps_per_execution
    return training_rate(
        prepared["model"],
        prepared["data"],
        args.batch_size,
        per_call,
        args.window_steps,
        1,
    )[0]


def measure_interleaved(args, overrides):
    """Times all models in turn, one window each, `args.rounds` times."""
    prepared = [prepare(entry, args, overrides) for entry in args.models]
    for item in prepared:  # warm-up: tracing and compilation
        training_rate(
            item["model"],
            item["data"],
            args.batch_size,
            args.warmup_steps,
            args.window_steps,
            1,
        )
    rates = [[] for _ in prepared]
    for _ in range(args.rounds):
        for index, item in enumerate(prepared):
            rates[index].append(one_window(item, args))
    rows = [describe(item, args, r) for item, r in zip(prepared, rates)]
    first = rows[0]["train_sequences_per_second"]
    for row, item, r in zip(rows, prepared, rates):
        row["overrides"] = item["own"]
        row["speed_ratio_to_first"] = round(
            row["train_sequences_per_second"] / first, 3
        )
        # The ratio window by window: robust to load that drifts.
        row["round_ratios_to_first"] = [
            round(mine / theirs, 3) for mine, theirs in zip(r, rates[0])
        ]
    peak = round(peak_memory_mb(), 1)
    for row in rows:
        row["peak_memory_mb_process"] = peak
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*")
    parser.add_argument("--task", default=None, help="default: copy")
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default=None,
        help="a named comparison (models, task and settings), e.g. nanogpt",
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="directory of the language data sets (default: $NTM_KERAS_DATA)",
    )
    parser.add_argument(
        "--data",
        choices=DATA_SOURCES,
        default=None,
        help="the task's tf.data pipeline, or copy batches made in NumPy "
        "(no TensorFlow); default: pipeline where TensorFlow is installed",
    )
    add_training_options(parser)
    parser.set_defaults(batch_size=None)
    parser.add_argument("--warmup-steps", type=int, default=None)
    parser.add_argument("--window-steps", type=int, default=None)
    parser.add_argument("--windows", type=int, default=5)
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="time the models in turn, one window each, this many times "
        "(default 1: each model alone, --windows windows)",
    )
    cli.add_set_option(parser)
    args = fill_defaults(apply_preset(parser.parse_args(argv)))
    overrides = cli.parse_sets(args.set)
    if args.data_dir is not None:
        overrides["task.data_dir"] = args.data_dir
    load = os.getloadavg()
    if args.rounds > 1:
        results = measure_interleaved(args, overrides)
    else:
        results = [measure(entry, args, overrides) for entry in args.models]
    print(
        json.dumps(
            {
                "benchmark": "throughput",
                "command": " ".join(sys.argv),
                "machine": {
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                    "load_average_before": [round(x, 2) for x in load],
                    "load_average_after": [
                        round(x, 2) for x in os.getloadavg()
                    ],
                },
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
