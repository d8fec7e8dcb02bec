"""What the per-epoch extras of a language-model run cost, against an epoch.

    python benchmarks/inspection_cost.py --data-dir ../shared/data

Builds `transformer_lm` at nanoGPT's CPU configuration (batch 12, context
64, dropout 0; `--model`, `--batch-size`, `--set` change it), times one
epoch of `--steps` training steps after a warm-up, then times each thing a
run does at the end of an epoch: the whole validation split, the default
validation subset (a tenth of the steps), a text sample (`TextSampleLogger`,
its first call traces the sampler) and the attention maps
(`AttentionMapLogger`). Prints JSON: seconds, and each as a fraction of the
epoch's training time, and what the default `InspectionSchedule` (5% of the
training time) makes of them over `--epochs` epochs.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tasks  # noqa: E402
from zoo import cli, registry, training  # noqa: E402
from zoo.tensorboard.attention_maps import AttentionMapLogger  # noqa: E402
from zoo.tensorboard.text_samples import TextSampleLogger  # noqa: E402
from zoo.tensorboard.writer import InspectionSchedule  # noqa: E402


def timed(function, repeats=1):
    """Returns the seconds of each of `repeats` calls of `function`."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def simulate_schedule(epoch_seconds, costs, epochs):
    """Runs of each logger and their share under the default schedule.

    A clock that advances by `epoch_seconds` per epoch and by each logger's
    cost when it runs; `costs` is `{name: (first_cost, later_cost)}`.
    """
    now = [0.0]
    schedule = InspectionSchedule(clock=lambda: now[0])
    schedule.start()
    runs = dict.fromkeys(costs, 0)
    for epoch in range(epochs):
        now[0] += epoch_seconds
        for name, (first, later) in costs.items():
            if schedule.due(name, epoch):
                cost = first if runs[name] == 0 else later
                now[0] += cost
                schedule.record(name, cost)
                runs[name] += 1
    return {
        "runs": runs,
        "extras_seconds": round(schedule.spent, 2),
        "extras_per_training": round(
            schedule.spent / (epochs * epoch_seconds), 4
        ),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="transformer_lm")
    parser.add_argument("--task", default="tiny_shakespeare")
    parser.add_argument("--batch-size", type=int, default=12)
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--warmup-steps", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--data-dir", default=None)
    cli.add_set_option(parser)
    args = parser.parse_args(argv)
    overrides = {"dropout": "0", **cli.parse_sets(args.set)}
    if args.data_dir is not None:
        overrides["task.data_dir"] = args.data_dir
    model_overrides, task_overrides = training.split_overrides(
        args.model, args.task, overrides
    )
    task = tasks.get(args.task, **task_overrides)
    model = registry.build(args.model, task, model_overrides=model_overrides)
    bucket = training.resolve_time_bucket(None, bool(model.jit_compile))
    train = training.dataset(task, "train", args.batch_size, bucket)
    validation = training.dataset(task, "validation", args.batch_size, bucket)
    model.fit(train, steps_per_epoch=args.warmup_steps, epochs=1, verbose=0)
    model.evaluate(validation.take(2), verbose=0)  # traces the test step
    (epoch,) = timed(
        lambda: model.fit(
            train, steps_per_epoch=args.steps, epochs=1, verbose=0
        )
    )
    subset = training.resolve_validation_steps(None, args.steps)
    seconds = {
        "validation_whole_split": timed(
            lambda: model.evaluate(validation, verbose=0)
        ),
        f"validation_subset_{subset}_batches": timed(
            lambda: model.evaluate(validation.take(subset), verbose=0)
        ),
    }
    with tempfile.TemporaryDirectory() as log_dir:
        text = TextSampleLogger(log_dir, task)
        text.set_model(model)
        seconds["text_sample"] = timed(lambda: text.inspect(0), repeats=3)
        scores = registry.describe(args.model).attention_scores
        attention = AttentionMapLogger(log_dir, task, scores)
        attention.set_model(model)
        seconds["attention_maps"] = timed(
            lambda: attention.inspect(0), repeats=2
        )
        text.on_train_end()
        attention.on_train_end()
    rows = {}
    for name, times in seconds.items():
        later = times[1:] or times
        rows[name] = {
            "seconds": [round(t, 3) for t in times],
            "first_per_epoch": round(times[0] / epoch, 4),
            "later_median_per_epoch": round(
                statistics.median(later) / epoch, 4
            ),
        }
    costs = {
        name: (seconds[name][0], statistics.median(seconds[name][1:]))
        for name in ("text_sample", "attention_maps")
    }
    print(
        json.dumps(
            {
                "benchmark": "inspection_cost",
                "command": " ".join(sys.argv),
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "model": args.model,
                "batch_size": args.batch_size,
                "steps": args.steps,
                "epoch_training_seconds": round(epoch, 2),
                "ms_per_step": round(1000 * epoch / args.steps, 2),
                "extras": rows,
                "every_epoch_extras_per_training": round(
                    sum(statistics.median(t[1:] or t) for t in costs.values())
                    / epoch,
                    4,
                ),
                f"default_schedule_over_{args.epochs}_epochs": (
                    simulate_schedule(epoch, costs, args.epochs)
                ),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
