"""Sequences until a model learns a task, over several seeds, as JSON.

    python benchmarks/convergence.py ntm --task copy --seeds 0,1,2,3,4 \
        --budget 200000 --out runs/convergence-ntm-copy

Each seed trains a fresh model with the zoo's defaults, the family's
defaults for the task included (`zoo.registry.task_defaults`: e.g. the
learning rate and curriculum of `ntm` on repeat copy; batch 32 unless
`--batch-size`) and evaluates it every `--eval-every` training sequences on
the task's 1,024 held-out `test` sequences at training lengths. A seed has
converged at the first evaluation with at most `--threshold` (0.1) bit
errors per sequence. Training then goes on for `--watch` (50,000) more
sequences to look for relapses: an evaluation above 1 bit error per
sequence. `--decay cosine` lowers the learning rate over the budget (over
its last part with `--decay-start`; `ntm` does so on priority sort unless
`--decay none`). `--stop-at` ends each seed early, with the learning rate
of the whole `--budget` run, whose start it reproduces (a cheap screen of
long runs). With `--out`, each seed is checkpointed after every evaluation
(`--out/seed-S/checkpoints/`); `--resume` continues a killed run from
there, as if it had not stopped, and takes a later `--stop-at` (or none)
to carry seeds stopped early on to the end of the budget. The JSON gives,
per seed, the curve, the sequences and seconds of training to converge
(evaluation time excluded), relapses and NaNs, and over seeds the
medians; a PNG shows the median curve with the spread.
"""

import argparse
import json
import math
import os
import pathlib
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import plot_convergence_groups  # noqa: E402

import tasks  # noqa: E402
from zoo import cli, registry, training  # noqa: E402
from zoo.training import (  # noqa: E402
    checkpointing,
    curriculum,
    decay,
    run_files,
)

DEFAULT_THRESHOLD = 0.1
RELAPSE_BITS = 1.0


class ConvergenceWatcher(keras.callbacks.Callback):
    """Records each evaluation and stops when the question is answered."""

    def __init__(self, batch_size, steps_per_epoch, threshold, watch, stop_at):
        super().__init__()
        self.sequences_per_epoch = batch_size * steps_per_epoch
        self.threshold = threshold
        self.watch = watch
        self.stop_at = stop_at
        self.curve = []
        self.converged_at = None
        self.converged_seconds = None
        self.train_seconds = 0.0
        self.nan = False

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_test_begin(self, logs=None):
        self.train_seconds += time.perf_counter() - self._started

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        seen = (epoch + 1) * self.sequences_per_epoch
        errors = float(logs.get("val_bit_errors_per_sequence", math.nan))
        point = {
            "sequences": seen,
            "seconds": round(self.train_seconds, 2),
            "train_loss": float(logs.get("loss", math.nan)),
            "bits_per_sequence": float(
                logs.get("val_bits_per_sequence", math.nan)
            ),
            "bit_errors_per_sequence": errors,
        }
        if "learning_rate" in logs:  # with --decay (Keras logs the rate)
            point["learning_rate"] = float(logs["learning_rate"])
        skipped = getattr(self.model.optimizer, "spikes_skipped", None)
        if skipped is not None:  # with --spike-factor: steps skipped so far
            point["spikes_skipped"] = int(keras.ops.convert_to_numpy(skipped))
        self.curve.append(point)
        print(json.dumps(point), file=sys.stderr, flush=True)
        if not math.isfinite(point["train_loss"]) or not math.isfinite(errors):
            self.nan = True
            self.model.stop_training = True
            return
        if self.converged_at is None and errors <= self.threshold:
            self.converged_at = seen
            self.converged_seconds = self.train_seconds
        if self.finished():
            self.model.stop_training = True

    def finished(self):
        """True once the seed is answered: NaN, watched, or at its stop."""
        if self.nan:
            return True
        if not self.curve:
            return False
        seen = self.curve[-1]["sequences"]
        watched = (
            self.converged_at is not None
            and seen >= self.converged_at + self.watch
        )
        return watched or seen >= self.stop_at

    def state(self):
        """What a resumed run needs, as plain values."""
        keys = ("curve", "converged_at", "converged_seconds", "nan")
        return {"train_seconds": self.train_seconds} | {
            key: getattr(self, key) for key in keys
        }

    def restore(self, state):
        """Takes back a `state()`."""
        for key, value in state.items():
            setattr(self, key, value)

    def relapses(self):
        if self.converged_at is None:
            return []
        return [
            p
            for p in self.curve
            if p["sequences"] > self.converged_at
            and p["bit_errors_per_sequence"] > RELAPSE_BITS
        ]


def make_task(task_name, seed, task_overrides):
    """The task one seed trains on (and is evaluated on, 1,024 sequences)."""
    return tasks.get(
        task_name, **dict(task_overrides, seed=seed, eval_size=1024)
    )


def check_options(args, seed, model_overrides, task_overrides):
    """Builds the task and the compiled model once, to check the options.

    Raises the `ValueError` or `TypeError` of a bad `--set`, rate, clip or
    spike factor before a run writes anything (about a second).
    """
    task = make_task(args.task, seed, task_overrides)
    cli.build_model(args.model, task, model_overrides, args)
    keras.backend.clear_session()


def run_seed(
    name, task_name, seed, args, model_overrides, task_overrides, run_dir=None
):
    """Trains one seed and returns `(result, model)`.

    With `run_dir`, the seed is checkpointed there after every evaluation,
    and continues from its last checkpoint if it has one: the model and its
    optimizer state, the curve so far, the task's difficulty and the
    curriculum come back, and the train batches go on where they stopped.
    """
    keras.utils.set_random_seed(seed)
    task = make_task(task_name, seed, task_overrides)
    model, bucket = cli.build_model(name, task, model_overrides, args)
    # The rate compiled in; a checkpoint holds the rate its decay had set.
    learning_rate = float(model.optimizer.learning_rate)
    state = None if run_dir is None else checkpointing.last_state(run_dir)
    if state is not None:
        model = checkpointing.load_state_model(run_dir, state)

    def data(split, **kwargs):
        return training.dataset(task, split, args.batch_size, bucket, **kwargs)

    steps = max(1, args.eval_every // args.batch_size)
    # A curriculum judges the training batches (at the current level), since
    # the validation data here are the full-difficulty test sequences.
    teacher = None
    if args.curriculum not in (None, "none"):
        teacher = curriculum.CURRICULA[args.curriculum](
            task, monitor="bit_errors_per_sequence"
        )
        if state is not None and state["curriculum"]:
            teacher.set_state(state["curriculum"])
    schedule = [] if teacher is None else [teacher]
    watcher = ConvergenceWatcher(
        args.batch_size,
        steps,
        args.threshold,
        args.watch,
        args.stop_at or args.budget,
    )
    epochs = math.ceil(args.budget / (steps * args.batch_size))
    initial_epoch, wall_before = 0, 0.0
    if state is not None:  # after the curriculum, which sets its own start
        task.set_difficulty(state["difficulty"])
        watcher.restore(state["record"]["watcher"])
        initial_epoch = state["epoch"]
        wall_before = state["record"]["wall_seconds"]
    fall = decay.make_decay(
        args.decay,
        learning_rate,
        epochs,
        start=args.decay_start,
        floor=args.decay_floor,
    )
    if fall is not None:
        schedule.append(fall)
    started = time.perf_counter()

    def wall_seconds():
        return wall_before + time.perf_counter() - started

    saver = []
    if run_dir is not None:
        saver = [
            checkpointing.RunCheckpoint(
                pathlib.Path(run_dir) / run_files.CHECKPOINTS_DIR,
                task=task,
                curriculum=teacher,
                monitor="val_bit_errors_per_sequence",
                epochs=epochs,
                record=lambda: {
                    "watcher": watcher.state(),
                    "wall_seconds": wall_seconds(),
                },
            )
        ]
        if state is not None:
            saver[0].restore(state)
    if not watcher.finished():  # a kill can come after the last checkpoint
        model.fit(
            data("train", start=initial_epoch * steps),
            steps_per_epoch=steps,
            epochs=epochs,
            initial_epoch=initial_epoch,
            validation_data=data("test"),
            callbacks=schedule + [watcher] + saver,
            shuffle=False,
            verbose=0,
        )
    return {
        "seed": seed,
        "converged_at_sequences": watcher.converged_at,
        "converged_after_train_seconds": (
            None
            if watcher.converged_seconds is None
            else round(watcher.converged_seconds, 1)
        ),
        "wall_seconds": round(wall_seconds(), 1),
        "relapses": watcher.relapses(),
        "nan": watcher.nan,
        "learning_rate": learning_rate,
        "curve": watcher.curve,
    }, model


def summarise(results, budget):
    converged = [
        r["converged_at_sequences"]
        for r in results
        if r["converged_at_sequences"] is not None
    ]
    seconds = [
        r["converged_after_train_seconds"]
        for r in results
        if r["converged_after_train_seconds"] is not None
    ]
    # Seeds that never converge count as the budget for the median.
    padded = sorted(converged + [math.inf] * (len(results) - len(converged)))
    median = statistics.median(padded) if padded else None
    return {
        "seeds": len(results),
        "converged": len(converged),
        "median_sequences_to_converge": (
            None if median is None or math.isinf(median) else median
        ),
        "median_train_seconds_to_converge": (
            statistics.median(seconds)
            if seconds and len(seconds) == len(results)
            else None
        ),
        "seeds_with_relapse": sum(bool(r["relapses"]) for r in results),
        "seeds_with_nan": sum(r["nan"] for r in results),
        "budget": budget,
    }


def plot(report, path):
    """The seeds' curves of bit errors, their median, spread and threshold."""
    threshold = report.get("threshold", DEFAULT_THRESHOLD)
    results = report["results"]
    plot_convergence_groups.plot(
        [(report["model"], results)],
        "bit_errors_per_sequence",
        threshold,
        path,
        f"{report['model']} on {report['task']}: {len(results)} seeds",
        log=True,
        goal_label=f"converged ({threshold:g} bit errors)",
    )


def results_from_log(path):
    """Per-seed results from the stderr log of a run that wrote no JSON.

    The log holds a JSON line per evaluation and one per finished seed
    (without its curve); a seed still running when the log ends is left
    out.

    Raises:
        ValueError: if the log cannot be read, holds a line that starts
            like JSON but is not (the last line may be cut off: a killed
            run), or no seed finished in it.
    """
    try:
        text = pathlib.Path(path).read_text()
    except (OSError, UnicodeDecodeError) as error:
        message = f"cannot read the log {str(path)!r}: {error}"
        raise ValueError(message) from None
    results, curve = [], []
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                break  # the run was killed while writing its last line
            raise ValueError(
                f"line {number} of {str(path)!r} is not a JSON record: "
                f"{line[:80]!r}"
            ) from None
        if "seed" in record:
            results.append({**record, "curve": curve})
            curve = []
        elif "sequences" in record:
            curve.append(record)
    if not results:
        raise ValueError(
            f"no seed finished in {str(path)!r} (a seed still running when "
            "the log ends is left out)"
        )
    return results


# What a resumed run must share with the run it continues (`--stop-at` may
# move later).
RESUME_SAME = (
    "model",
    "task",
    "overrides",
    "batch_size",
    "curriculum",
    "compile",
    "threshold",
    "decay",
    "seeds_asked",
    "budget",
    "eval_every",
    "watch",
)


def seed_directory(out, seed):
    """Where a seed's checkpoints go: `out/seed-S/checkpoints/`."""
    return out / f"seed-{seed}"


def holds_a_run(out):
    """True if `out` holds a run of this benchmark (finished or not)."""
    checkpoints = (
        f"seed-*/{run_files.CHECKPOINTS_DIR}/{checkpointing.LAST_FILE}"
    )
    return (out / "results.json").exists() or any(out.glob(checkpoints))


def resumed_report(old, new, out):
    """The report of a resumed run: `old`'s finished seeds, `new`'s options.

    A seed is finished if it is answered (NaN, or converged and watched)
    or has reached the stop of `new` (a later `--stop-at` reopens seeds
    that the old one ended).

    Raises:
        ValueError: if `new` changes what the run was, or moves its stop
            earlier, or a seed to reopen has no checkpoint.
    """
    if "eval_every" not in old:
        raise ValueError(
            "the run was written before runs were checkpointed; it cannot "
            "be resumed (start it again in another --out)"
        )
    for key in RESUME_SAME:
        if old.get(key) != new.get(key):
            raise ValueError(
                f"{key!r} differs (the run's {old.get(key)!r}, given "
                f"{new.get(key)!r}); expected the options of the run in --out"
            )
    old_stop = old["stop_at"] or old["budget"]
    new_stop = new["stop_at"] or new["budget"]
    if new_stop < old_stop:
        raise ValueError(
            f"--stop-at {new_stop} is earlier than the run's {old_stop}; "
            "expected the same stop or a later one"
        )
    kept = []
    for result in old["results"]:
        seen = result["curve"][-1]["sequences"] if result["curve"] else 0
        converged = result["converged_at_sequences"]
        watched = converged is not None and seen >= converged + new["watch"]
        if result["nan"] or watched or seen >= new_stop:
            kept.append(result)
            continue
        checkpoints = seed_directory(out, result["seed"])
        if checkpointing.last_state(checkpoints) is None:
            raise ValueError(
                f"seed {result['seed']} stopped at {seen} sequences and "
                f"{checkpoints} holds no checkpoint to continue it from"
            )
    return {
        **new,
        "invocation": old["invocation"],
        "resumed": old.get("resumed", []) + [new["invocation"]],
        "results": kept,
    }


def seeds_of(text):
    return [int(s) for s in text.split(",")]


def final_model_path(out, seed):
    return out / f"model-seed{seed}.keras"


def write_report(report, out):
    """Writes `out/results.json` and `out/curve.png`."""
    (out / "results.json").write_text(json.dumps(report, indent=2))
    plot(report, out / "curve.png")


def combine(paths, out):
    """Merges the seeds of several runs of one configuration into `out`.

    For seeds measured in separate runs (e.g. a stopped run and the run of
    its remaining seeds); the configurations must agree.
    """
    reports = [json.loads(pathlib.Path(p).read_text()) for p in paths]
    same = ("model", "task", "overrides", "batch_size", "curriculum")
    same += ("compile", "threshold", "decay", "stop_at")
    # Reports written before the threshold, the decay and the stop were
    # recorded used the default threshold, no decay and no early stop.
    for r in reports:
        r.setdefault("threshold", DEFAULT_THRESHOLD)
        r.setdefault("decay", None)
        r.setdefault("stop_at", None)
        if r["decay"] is not None:
            r["decay"].setdefault("start", 0.0)
    for other in reports[1:]:
        for key in same:
            if other.get(key) != reports[0].get(key):
                raise ValueError(
                    f"Invalid runs to combine: {key!r} differs "
                    f"({reports[0].get(key)!r} against {other.get(key)!r}); "
                    "expected runs of one configuration."
                )
    report = dict(reports[0])
    report.pop("rebuilt_from_log", None)
    report["invocation"] = run_files.describe_invocation()
    report["combined_from"] = [
        {
            "path": str(p),
            "invocation": r.get("invocation"),
            "rebuilt_from_log": r.get("rebuilt_from_log"),
        }
        for p, r in zip(paths, reports)
    ]
    report["results"] = sorted(
        (result for r in reports for result in r["results"]),
        key=lambda result: result["seed"],
    )
    report["summary"] = summarise(
        report["results"], report["summary"]["budget"]
    )
    out.mkdir(parents=True, exist_ok=True)
    write_report(report, out)
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--task", default="copy")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    cli.add_training_options(
        parser,
        (
            "batch_size",
            "learning_rate",
            "jit_compile",
            "amsgrad",
            "spike_factor",
            "global_clipnorm",
            "curriculum",
            "decay",
            "decay_start",
            "decay_floor",
        ),
        family=True,
    )
    parser.add_argument("--budget", type=int, default=200_000)
    parser.add_argument(
        "--stop-at",
        type=int,
        default=None,
        metavar="SEQUENCES",
        help="stop each seed after this many sequences, the learning rate "
        "falling as over the whole --budget (the start of a long run)",
    )
    parser.add_argument("--eval-every", type=int, default=3_200)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--watch", type=int, default=50_000)
    cli.add_set_option(parser)
    parser.add_argument(
        "--out",
        default=None,
        help="directory for results.json, curve.png and "
        "the model of the first converged seed",
    )
    parser.add_argument(
        "--save-final",
        action="store_true",
        help="also save every seed's model at the end of its run, converged "
        "or not, as --out/model-seed{S}.keras",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out, given with its own options: its "
        "finished seeds are kept, a seed cut off goes on from its last "
        "evaluation and the others run; a later --stop-at (or none) "
        "carries the seeds that the old stop ended on to the new one",
    )
    parser.add_argument(
        "--replot",
        action="store_true",
        help="only redraw --out/curve.png from its results.json",
    )
    parser.add_argument(
        "--from-log",
        metavar="LOG",
        help="only rebuild --out/results.json from the stderr log of a run "
        "with the same options (its finished seeds)",
    )
    parser.add_argument(
        "--combine",
        nargs="+",
        metavar="RESULTS_JSON",
        help="only merge the seeds of these results.json files into "
        "--out/results.json (and its curve.png)",
    )
    args = parser.parse_args(argv)
    try:
        seeds = seeds_of(args.seeds)
    except ValueError:
        parser.error(
            f"--seeds: received {args.seeds!r}; expected whole numbers "
            "separated by commas, e.g. 0,1,2"
        )
    if args.stop_at is not None and not 0 < args.stop_at <= args.budget:
        parser.error(
            f"--stop-at: received {args.stop_at}; expected a number of "
            f"sequences from 1 to --budget ({args.budget})"
        )
    if (args.combine or args.from_log) and not args.out:
        parser.error("--combine and --from-log need --out")
    if args.resume and (args.combine or args.from_log or args.replot):
        parser.error(
            "--resume trains; it does not go with --combine, "
            "--from-log or --replot"
        )
    if args.resume and not args.out:
        parser.error("--resume needs --out (the run to continue)")
    if args.out:
        try:  # before hours of training are lost to a file it cannot write
            run_files.check_writable_directory("--out", args.out)
        except ValueError as error:
            parser.error(str(error))
    if args.save_final:
        if not args.out:
            parser.error("--save-final needs --out")
    if args.save_final and not args.resume:
        finals = [
            final_model_path(pathlib.Path(args.out), seed) for seed in seeds
        ]
        taken = [str(path) for path in finals if path.exists()]
        if taken:
            parser.error(
                f"--save-final: {', '.join(taken)} already exist; expected "
                "an --out without saved models (move or delete them)"
            )
    if args.combine:
        report = combine(args.combine, pathlib.Path(args.out))
        print(json.dumps(report["summary"], indent=2))
        return
    if args.replot:
        out = pathlib.Path(args.out)
        report = json.loads((out / "results.json").read_text())
        plot(report, out / "curve.png")
        return
    overrides = cli.parse_sets(args.set)
    try:
        model_overrides, task_overrides = training.split_overrides(
            args.model, args.task, overrides
        )
    except ValueError as error:
        parser.error(str(error))
    # Options the user left unset take the family's defaults for the task,
    # as in `ntm-keras train`; `build` applies the compile options.
    family = registry.task_defaults(args.model, args.task)
    resolved = (
        "batch_size",
        "curriculum",
        "decay",
        "decay_start",
        "decay_floor",
    )
    try:
        options = training.resolve_options(
            args.model,
            args.task,
            **{key: getattr(args, key) for key in resolved},
        )
    except ValueError as error:
        parser.error(str(error))
    for key in resolved:
        setattr(args, key, options[key])
    try:  # every model, task and compile option, before anything is written
        check_options(args, seeds[0], model_overrides, task_overrides)
    except (ValueError, TypeError) as error:
        parser.error(str(error))
    if args.from_log:
        try:  # before anything is written
            logged = results_from_log(args.from_log)
        except ValueError as error:
            parser.error(f"--from-log: {error}")
    out = pathlib.Path(args.out) if args.out else None
    if out and not args.from_log:
        if args.resume and not (out / "results.json").exists():
            parser.error(
                f"--resume: {out} holds no results.json; expected the --out "
                "of a run of this benchmark"
            )
        if not args.resume and holds_a_run(out):
            parser.error(
                f"--out: {out} already holds a run of this benchmark; pass "
                "--resume to continue it, or choose another --out"
            )
    if out:
        out.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "convergence",
        "invocation": run_files.describe_invocation(),
        "model": args.model,
        "task": args.task,
        "overrides": overrides,
        "batch_size": args.batch_size,
        "curriculum": args.curriculum,
        "task_defaults": family,
        "task_option_defaults": registry.task_option_defaults(
            args.model, args.task
        ),
        "model_option_defaults": registry.model_option_defaults(
            args.model, args.task
        ),
        "compile": {
            "learning_rate": args.learning_rate,
            "amsgrad": args.amsgrad,
            "spike_factor": args.spike_factor,
            "global_clipnorm": args.global_clipnorm,
            "jit_compile": args.jit_compile,
        },
        "threshold": args.threshold,
        "decay": (
            {
                "kind": "cosine",
                "floor": args.decay_floor,
                "start": args.decay_start,
            }
            if args.decay == "cosine"
            else None
        ),
        "seeds_asked": args.seeds,
        "budget": args.budget,
        "eval_every": args.eval_every,
        "watch": args.watch,
        "stop_at": args.stop_at,
        "results": [],
    }
    if args.resume:
        try:
            old = run_files.read_json(out / "results.json")
            report = resumed_report(old, report, out)
            for seed in seeds:  # a broken checkpoint: said before training
                checkpointing.last_state(seed_directory(out, seed))
        except ValueError as error:
            parser.error(f"--resume: {error}")
    if args.from_log:
        report["rebuilt_from_log"] = args.from_log
        report["results"] = logged
        report["summary"] = summarise(report["results"], args.budget)
        write_report(report, out)
        print(json.dumps(report["summary"], indent=2))
        return
    done = {result["seed"]: result for result in report["results"]}
    report["summary"] = summarise(report["results"], args.budget)
    if out:  # the options, for --resume, before the first seed ends
        (out / "results.json").write_text(json.dumps(report, indent=2))
    saved = bool(out) and (out / "model.keras").exists()
    for seed in seeds:
        if seed in done:
            continue
        result, model = run_seed(
            args.model,
            args.task,
            seed,
            args,
            model_overrides,
            task_overrides,
            run_dir=seed_directory(out, seed) if out else None,
        )
        done[seed] = result
        report["results"] = [done[s] for s in seeds if s in done]
        print(
            json.dumps({k: v for k, v in result.items() if k != "curve"}),
            file=sys.stderr,
            flush=True,
        )
        if out and not saved and result["converged_at_sequences"]:
            model.save(out / "model.keras")
            saved = True
        if args.save_final:
            model.save(final_model_path(out, seed))
        # Written after every seed, so that a stopped run keeps its seeds.
        report["summary"] = summarise(report["results"], args.budget)
        if out:
            write_report(report, out)
    print(json.dumps(report["summary"], indent=2))


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
