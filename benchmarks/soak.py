"""Non-finite losses, gradients and memory values over long training, as JSON.

    python benchmarks/soak.py ntm dnc --task copy --seeds 0,1,2,3,4 \
        --sequences 100000 --probe-every 100 --out notes/data/soak.json

Each model and seed trains a fresh model on the task with the zoo's
defaults (batch 32 unless `--batch-size`; the family's compile options,
XLA and AMSGrad for `ntm` and `dnc`; the family's task defaults, e.g. a
curriculum) for `--sequences` sequences, and counts, batch by batch:

- losses that are NaN or infinite (the batch's own loss: every epoch is
  one batch, so Keras's running mean of the loss is that batch's loss);
- global gradient norms (before clipping, as `MonitoredAdam` records
  them) that are NaN or infinite;
- every `--probe-every` batches, NaN or infinite values in a trace of a
  fixed probe sequence (the longest of the first 32 `test` sequences)
  through `ntm_keras.inspect.memory_trace`: the memory after the sequence,
  the read and write weightings of every step, and every value of the
  trace (`trace_summary`'s `memory_nonfinite_count`: controls and outputs
  too).

Nothing stops at the first non-finite value: the zoo's `NonFiniteGuard`
(which `ntm-keras train` uses, and which would stop the run) is not among
the callbacks; every bad batch is counted. The model's size is that of the
shipped preset for the task when there is one (`zoo/presets/MODEL-TASK
.json`; e.g. the `dnc` copy preset: 32 slots of 20, 100 controller units,
1 read head; `--preset-size off` for the registry's size), then `--set
KEY=VALUE` (every model) and `--set MODEL:KEY=VALUE` (one model). The
JSON (written after every seed) holds per model and seed the counts, the
sequences, the seconds and the final loss, and totals per model and
overall; a progress line goes to stderr every tenth of a seed and at its
end.
"""

import argparse
import json
import math
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import tasks  # noqa: E402
from ntm_keras import inspect  # noqa: E402
from zoo import cli, preset_store, registry, training  # noqa: E402
from zoo.tensorboard.memory_images import probe_example  # noqa: E402
from zoo.training import curriculum, divergence, run_files  # noqa: E402

COUNTS = (
    "non_finite_losses",
    "non_finite_gradient_norms",
    "non_finite_memory_values",
    "non_finite_read_weights",
    "non_finite_write_weights",
    "non_finite_trace_values",
)
# Batches over which the final loss is averaged.
FINAL_WINDOW = 100


def count_trace(trace):
    """Non-finite values of a `memory_trace`, by what holds them.

    Returns:
        dict: `non_finite_memory_values` (the memory after the sequence),
        `non_finite_read_weights` and `non_finite_write_weights` (every
        step), `non_finite_trace_values` (every array of the trace).
    """

    def bad(array):
        return int(np.sum(~np.isfinite(np.asarray(array))))

    return {
        "non_finite_memory_values": bad(trace["memory_after"]),
        "non_finite_read_weights": bad(trace["read_weights"]),
        "non_finite_write_weights": bad(trace["write_weights"]),
        "non_finite_trace_values": int(
            inspect.trace_summary(trace)["memory_nonfinite_count"]
        ),
    }


class NonFiniteCounter(keras.callbacks.Callback):
    """Counts non-finite losses, gradient norms and memory values.

    After every train batch it reads the loss of the batch's logs and the
    optimizer's `gradient_norm` (`ntm_keras.optimizers.MonitoredAdam`);
    every `probe_every` batches it traces `probe_inputs` through the model
    and counts the non-finite values of the trace (`count_trace`). It never
    stops training. The logged loss is Keras's mean since the epoch began,
    so it is the batch's own loss only with one batch per epoch, as `soak`
    trains.

    Args:
        probe_inputs: one batch of model inputs (the first sequence is
            traced), or None for no probes.
        probe_every: int. Batches between probes.
        total_batches: int. Batches of the run, for the progress lines.
        label: str. Names the run in the progress lines.
    """

    def __init__(self, probe_inputs, probe_every, total_batches, label=""):
        super().__init__()
        self.probe_inputs = probe_inputs
        self.probe_every = probe_every
        self.total_batches = total_batches
        self.label = label
        self.batches = 0
        self.probes = 0
        self.counts = dict.fromkeys(COUNTS, 0)
        self.first_non_finite = {}
        self.losses = []
        self.bit_errors = []
        self.probe_seconds = 0.0
        self.started = time.perf_counter()

    def _note(self, key, number):
        self.counts[key] += number
        if number and key not in self.first_non_finite:
            self.first_non_finite[key] = self.batches

    def record(self, logs, gradient_norm):
        """Counts one batch from its logs and its gradient norm (or None)."""
        self.batches += 1
        logs = logs or {}
        loss = float(np.asarray(logs.get("loss", math.nan)))
        self.losses.append(loss)
        self.bit_errors.append(
            float(np.asarray(logs.get("bit_errors_per_sequence", math.nan)))
        )
        bad_loss = divergence.non_finite_value(loss) is not None
        self._note("non_finite_losses", int(bad_loss))
        if gradient_norm is not None:
            bad_norm = divergence.non_finite_value(gradient_norm) is not None
            self._note("non_finite_gradient_norms", int(bad_norm))

    def probe(self):
        """Traces the probe sequence and counts its non-finite values."""
        started = time.perf_counter()
        trace = inspect.memory_trace(self.model, self.probe_inputs)
        for key, number in count_trace(trace).items():
            self._note(key, number)
        self.probes += 1
        self.probe_seconds += time.perf_counter() - started

    def on_train_begin(self, logs=None):
        if getattr(self.model.optimizer, "gradient_norm", None) is None:
            self.model.optimizer.build(self.model.trainable_variables)
        if getattr(self.model.optimizer, "gradient_norm", None) is None:
            raise ValueError(
                "Invalid optimizer: "
                f"{type(self.model.optimizer).__name__} records no "
                "`gradient_norm`; expected "
                "ntm_keras.optimizers.MonitoredAdam (the zoo's optimizer)."
            )

    def on_train_batch_end(self, batch, logs=None):
        norm = keras.ops.convert_to_numpy(self.model.optimizer.gradient_norm)
        self.record(logs, norm)
        if self.probe_inputs is not None and (
            self.batches % self.probe_every == 0
        ):
            self.probe()
        tenth = max(1, self.total_batches // 10)
        if self.batches % tenth == 0 and self.batches < self.total_batches:
            print(json.dumps(self.progress()), file=sys.stderr, flush=True)

    def final_loss(self):
        """Mean loss of the last `FINAL_WINDOW` batches (NaN if any is)."""
        return float(np.mean(self.losses[-FINAL_WINDOW:]))

    def progress(self):
        return {
            "run": self.label,
            "batches": self.batches,
            "of": self.total_batches,
            "seconds": round(time.perf_counter() - self.started, 1),
            "loss": self.final_loss(),
            **{k: v for k, v in self.counts.items() if v},
        }


def model_overrides_for(name, task_name, sets, preset_size):
    """A model's `--set` overrides, on top of its preset's size if asked.

    Args:
        name: str. Zoo model name.
        task_name: str. Task name.
        sets: dict from `cli.parse_sets`: `KEY` for every model,
            `MODEL:KEY` for one.
        preset_size: bool. Start from the overrides of the shipped preset
            `MODEL-TASK` when there is one.

    Returns:
        `(overrides, preset)`: dict of `{key: value}` and the preset's name
        (None when none was used).
    """
    overrides, preset = {}, None
    if preset_size and task_name in preset_store.list_presets(name):
        preset = task_name
        info = preset_store.preset_info(name, task_name)
        overrides.update(
            {k: str(v) for k, v in info.get("overrides", {}).items()}
        )
    for key, value in sets.items():
        model, separator, option = key.rpartition(":")
        if not separator:
            overrides[key] = value
        elif model == name:
            overrides[option] = value
    return overrides, preset


def run_seed(name, task_name, seed, args, overrides, callbacks=()):
    """Trains one seed and returns its counts (a dict) and the model.

    `callbacks` run after the counter (tests use one to spoil the weights).
    """
    if any(isinstance(c, divergence.NonFiniteGuard) for c in callbacks):
        raise ValueError(
            "Invalid `callbacks`: a NonFiniteGuard would stop the soak at "
            "the first non-finite loss; expected callbacks that count."
        )
    keras.utils.set_random_seed(seed)
    model_overrides, task_overrides = training.split_overrides(
        name, task_name, overrides
    )
    task = tasks.get(task_name, **dict(task_overrides, seed=seed))
    model, bucket = cli.build_model(name, task, model_overrides, args)
    batches = max(1, math.ceil(args.sequences / args.batch_size))
    family = registry.task_defaults(name, task_name)
    chosen = args.curriculum or family.get("curriculum", "none")
    schedule = []
    if chosen != "none":
        schedule = [
            curriculum.CURRICULA[chosen](
                task, monitor="bit_errors_per_sequence"
            )
        ]
    probe = None
    if args.probe_every and inspect.find_memory_layer(model) is not None:
        probe = probe_example(task)[0]
    counter = NonFiniteCounter(
        probe, args.probe_every, batches, label=f"{name} seed {seed}"
    )
    every = [*schedule, counter, *callbacks]
    started = time.perf_counter()
    # One batch per epoch: Keras resets its running mean of the loss at
    # every epoch, so the logged loss is each batch's own.
    model.fit(
        training.dataset(task, "train", args.batch_size, bucket),
        steps_per_epoch=1,
        epochs=batches,
        callbacks=every,
        shuffle=False,
        verbose=0,
    )
    seconds = time.perf_counter() - started
    return {
        "model": name,
        "seed": seed,
        "sequences": counter.batches * args.batch_size,
        "batches": counter.batches,
        "probes": counter.probes,
        **counter.counts,
        "first_non_finite_batch": counter.first_non_finite,
        "final_loss": counter.final_loss(),
        "final_bit_errors_per_sequence": float(
            np.mean(counter.bit_errors[-FINAL_WINDOW:])
        ),
        "seconds": round(seconds, 1),
        "probe_seconds": round(counter.probe_seconds, 1),
        "curriculum": chosen,
    }, model


def totals(results):
    """Sums of the counts, sequences and seconds of some seeds."""
    summary = {
        "seeds": len(results),
        "sequences": sum(r["sequences"] for r in results),
        "seconds": round(sum(r["seconds"] for r in results), 1),
    }
    for key in COUNTS:
        summary[key] = sum(r[key] for r in results)
    summary["zero"] = all(summary[key] == 0 for key in COUNTS)
    return summary


def build_parser():
    """The command line of the soak."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="zoo model names")
    parser.add_argument("--task", default="copy")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--sequences", type=int, default=100_000)
    parser.add_argument(
        "--probe-every",
        type=int,
        default=100,
        help="batches between memory traces of the probe; 0: none",
    )
    parser.add_argument(
        "--preset-size",
        choices=("on", "off"),
        default="on",
        help="size each model as its shipped preset for the task, if any",
    )
    cli.add_training_options(
        parser,
        (
            "batch_size",
            "learning_rate",
            "jit_compile",
            "amsgrad",
            "global_clipnorm",
            "curriculum",
        ),
    )
    cli.add_set_option(parser)
    parser.add_argument("--out", default=None, help="path of the JSON")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.sequences < 1 or args.probe_every < 0:
        parser.error(
            f"--sequences must be >= 1 (got {args.sequences}) and "
            f"--probe-every >= 0 (got {args.probe_every})"
        )
    for name in args.models:
        registry.describe(name)  # unknown names fail before any training
    sets = cli.parse_sets(args.set)
    seeds = [int(s) for s in args.seeds.split(",")]
    out = pathlib.Path(args.out) if args.out else None
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "soak",
        "invocation": run_files.describe_invocation(),
        "task": args.task,
        "batch_size": args.batch_size,
        "sequences_per_seed": args.sequences,
        "probe_every": args.probe_every,
        "compile": {
            "learning_rate": args.learning_rate,
            "amsgrad": args.amsgrad,
            "global_clipnorm": args.global_clipnorm,
            "jit_compile": args.jit_compile,
        },
        "seeds_asked": seeds,
        "models": {},
    }
    for name in args.models:
        overrides, preset = model_overrides_for(
            name, args.task, sets, args.preset_size == "on"
        )
        entry = {"overrides": overrides, "preset_size": preset, "results": []}
        report["models"][name] = entry
        for seed in seeds:
            result, model = run_seed(name, args.task, seed, args, overrides)
            entry["results"].append(result)
            entry["compiled"] = {
                "jit_compile": bool(model.jit_compile),
                "optimizer": type(model.optimizer).__name__,
                "amsgrad": bool(getattr(model.optimizer, "amsgrad", False)),
                "learning_rate": float(model.optimizer.learning_rate),
                "global_clipnorm": model.optimizer.global_clipnorm,
            }
            entry["summary"] = totals(entry["results"])
            report["overall"] = totals(
                [r for e in report["models"].values() for r in e["results"]]
            )
            print(json.dumps(result), file=sys.stderr, flush=True)
            print(json.dumps(result))
            # Written after every seed, so that a stopped run keeps its
            # seeds.
            if out:
                out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report["overall"]))
    return report


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
