"""Each training step's loss and gradient norm, from a convergence checkpoint.

    python benchmarks/training_steps.py runs/conv-ps-1m-fwd6-s4-probe --seed 4 \
        --epochs 1 > steps.jsonl

Continues one seed of a `benchmarks/convergence.py` run from its last
checkpoint (`--out/seed-S/checkpoints/`), exactly as `--resume` would, for
`--epochs` evaluation periods, and prints a JSON line per training step:
its loss (from Keras' running mean of the epoch) and its global gradient
norm before clipping, then one line per period. Nothing in the run
directory is written; `--save PATH` keeps the model the periods end
with. To see what a spike does, `--spike-factor F` trains with
`MonitoredAdam(spike_factor=F)` instead, its Adam state taken from
the checkpoint and its running average of the norm started at
`--spike-average` (as if 1,000 steps of that norm had been averaged).
"""

import argparse
import json
import math
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

import tasks  # noqa: E402
from ntm_keras.optimizers import MonitoredAdam, monitored_adam  # noqa: E402
from zoo import training  # noqa: E402
from zoo.training import checkpointing, run_files  # noqa: E402

# As many steps averaged as make the average's warm-up bias negligible.
SEEDED_STEPS = 1000


class StepLog(keras.callbacks.Callback):
    """Prints each step's loss and gradient norm, and each period's mean."""

    def __init__(self, first_step, steps):
        super().__init__()
        self.step = first_step
        self.steps = steps
        self.records = []

    def _emit(self, record):
        self.records.append(record)
        print(json.dumps(record), flush=True)

    def on_epoch_begin(self, epoch, logs=None):
        self._mean = 0.0

    def on_train_batch_end(self, batch, logs=None):
        mean = float(logs["loss"])  # Keras' running mean over the epoch
        optimizer = self.model.optimizer
        record = {
            "step": self.step,
            "loss": (batch + 1) * mean - batch * self._mean,
            "gradient_norm": float(optimizer.gradient_norm.numpy()),
        }
        if hasattr(optimizer, "spikes_skipped"):
            record["spikes_skipped"] = int(optimizer.spikes_skipped.numpy())
        self._mean = mean
        self.step += 1
        self._emit(record)

    def on_epoch_end(self, epoch, logs=None):
        self._emit({"period_end_step": self.step, "loss": float(logs["loss"])})


def with_spike_skipping(model, factor, average):
    """Gives `model` a spike-skipping Adam that carries on its Adam state."""
    old = model.optimizer
    new = MonitoredAdam.from_config(old.get_config() | {"spike_factor": factor})
    new.build(model.trainable_variables)
    state = {variable.path: variable for variable in old.variables}
    for variable in new.variables:
        if variable.path in state:
            variable.assign(state[variable.path])
    decay = monitored_adam.SPIKE_AVERAGE_DECAY
    new.steps_averaged.assign(float(SEEDED_STEPS))
    new.norm_average.assign(average * (1.0 - decay**SEEDED_STEPS))
    model.optimizer = new
    model.train_function = None  # rebuilt around the new optimizer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="the --out of a convergence.py run")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--spike-factor", type=float, default=None)
    parser.add_argument("--spike-average", type=float, default=None)
    parser.add_argument("--save", metavar="PATH", help="a .keras file")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs: received {args.epochs}; expected >= 1")
    if (args.spike_factor is None) != (args.spike_average is None):
        parser.error("--spike-factor and --spike-average go together")
    if args.spike_average is not None and not 0 < args.spike_average < math.inf:
        parser.error(
            f"--spike-average: received {args.spike_average}; expected a "
            "positive, finite gradient norm"
        )
    if args.save:
        if pathlib.Path(args.save).exists():
            parser.error(f"--save: {args.save} exists; expected a new file")
        if not args.save.endswith(".keras"):
            parser.error(f"--save: received {args.save!r}; expected a .keras")
    run = pathlib.Path(args.run)
    if not (run / "results.json").is_file():
        parser.error(
            f"run: {run} holds no results.json; expected the --out of a run"
        )
    try:
        report = run_files.read_json(run / "results.json")
        state = checkpointing.last_state(run / f"seed-{args.seed}")
        if state is None:
            raise ValueError(f"{run}/seed-{args.seed} holds no checkpoint")
        model = checkpointing.load_state_model(run / f"seed-{args.seed}", state)
        if args.spike_factor is not None:
            with_spike_skipping(model, args.spike_factor, args.spike_average)
    except (ValueError, OSError) as error:
        parser.error(str(error))
    # The task as convergence.py made it: the family's options, then --set.
    _, task_options = training.split_overrides(
        report["model"], report["task"], dict(report.get("overrides") or {})
    )
    task = tasks.get(report["task"], **task_options, seed=args.seed)
    task.set_difficulty(state["difficulty"])
    batch_size = report["batch_size"]
    steps = max(1, report["eval_every"] // batch_size)
    bucket = training.resolve_time_bucket(None, bool(model.jit_compile))
    data = training.dataset(
        task, "train", batch_size, bucket, start=state["epoch"] * steps
    )
    log = StepLog(state["epoch"] * steps, steps)
    model.fit(
        data,
        steps_per_epoch=steps,
        epochs=args.epochs,
        callbacks=[log],
        shuffle=False,
        verbose=0,
    )
    if args.save:
        checkpointing.save_model(model, args.save)
    return log.records


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
