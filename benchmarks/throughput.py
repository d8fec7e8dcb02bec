"""Training and data-pipeline throughput of zoo models, as JSON.

    python benchmarks/throughput.py lstm --task copy --batch-size 32
    python benchmarks/throughput.py ntm lstm:units=100,num_layers=1 \
        --task copy --batch-size 1 --jit-compile on --set max_length=20

Windows and warm-up are counted in steps and should be multiples of
`--steps-per-execution`. With XLA (`--jit-compile`, by default as the model
family chooses) batches are padded in time to multiples of `--time-bucket`
(8 by default) so that compilation happens a few times, during warm-up.

A model may carry its own overrides after a colon (`NAME:key=value,...`);
`--set` applies to every model and to the task.

For each model: training sequences per second through `model.fit` on the
task's real pipeline (the median over several timed windows, after warm-up
steps that include tracing and compilation), the peak resident memory of the
process, and the pipeline's own sequences per second (batches made and
discarded, no model). Models listed together are measured in the same run,
one after the other, so their ratio is meaningful on a noisy machine.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

import tasks  # noqa: E402
from zoo import cli, training  # noqa: E402


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


def measure(name, args, model_overrides, task_overrides):
    keras.utils.set_random_seed(0)
    task = tasks.get(args.task, **task_overrides)
    model, bucket = cli.build_model(name, task, model_overrides, args)
    jit = bool(model.jit_compile)
    data = training.dataset(task, "train", args.batch_size, bucket)
    rates = training_rate(
        model,
        data,
        args.batch_size,
        args.warmup_steps,
        args.window_steps,
        args.windows,
    )
    data = pipeline_rate(
        data,
        args.batch_size,
        args.warmup_steps,
        args.window_steps * 5,
        args.windows,
    )
    train_median = statistics.median(rates)
    data_median = statistics.median(data)
    return {
        "model": name,
        "task": args.task,
        "batch_size": args.batch_size,
        "jit_compile": jit,
        "time_bucket": bucket,
        "steps_per_execution": model.steps_per_execution,
        "backend": keras.backend.backend(),
        "parameters": model.count_params(),
        "train_sequences_per_second": round(train_median, 2),
        "train_windows": [round(r, 2) for r in rates],
        "pipeline_sequences_per_second": round(data_median, 2),
        "pipeline_to_training_ratio": round(data_median / train_median, 2),
        "peak_memory_mb": round(peak_memory_mb(), 1),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--task", default="copy")
    cli.add_training_options(
        parser,
        (
            "batch_size",
            "jit_compile",
            "time_bucket",
            "steps_per_execution",
            "learning_rate",
            "global_clipnorm",
            "amsgrad",
        ),
    )
    parser.add_argument("--warmup-steps", type=int, default=20)
    parser.add_argument("--window-steps", type=int, default=20)
    parser.add_argument("--windows", type=int, default=5)
    cli.add_set_option(parser)
    args = parser.parse_args(argv)
    overrides = cli.parse_sets(args.set)
    results = []
    for entry in args.models:
        name, _, own = entry.partition(":")
        own = cli.parse_sets(pair for pair in own.split(",") if pair)
        model_overrides, task_overrides = training.split_overrides(
            name, args.task, overrides
        )
        model_overrides.update(own)
        result = measure(name, args, model_overrides, task_overrides)
        result["overrides"] = own
        results.append(result)
    print(
        json.dumps(
            {
                "benchmark": "throughput",
                "machine": {
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                },
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
