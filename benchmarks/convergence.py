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
long runs). The JSON gives, per seed, the curve, the sequences and
seconds of training to converge (evaluation time excluded), relapses and
NaNs, and over seeds the medians; a PNG shows the median curve with the
spread.
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
from zoo.training import curriculum, decay, run_files  # noqa: E402

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
        self.curve.append(point)
        print(json.dumps(point), file=sys.stderr, flush=True)
        if not math.isfinite(point["train_loss"]) or not math.isfinite(errors):
            self.nan = True
            self.model.stop_training = True
            return
        if self.converged_at is None and errors <= self.threshold:
            self.converged_at = seen
            self.converged_seconds = self.train_seconds
        done_watching = (
            self.converged_at is not None
            and seen >= self.converged_at + self.watch
        )
        if done_watching or seen >= self.stop_at:
            self.model.stop_training = True

    def relapses(self):
        if self.converged_at is None:
            return []
        return [
            p
            for p in self.curve
            if p["sequences"] > self.converged_at
            and p["bit_errors_per_sequence"] > RELAPSE_BITS
        ]


def run_seed(name, task_name, seed, args, model_overrides, task_overrides):
    keras.utils.set_random_seed(seed)
    task = tasks.get(
        task_name, **dict(task_overrides, seed=seed, eval_size=1024)
    )
    model, bucket = cli.build_model(name, task, model_overrides, args)

    def data(split):
        return training.dataset(task, split, args.batch_size, bucket)

    steps = max(1, args.eval_every // args.batch_size)
    # A curriculum judges the training batches (at the current level), since
    # the validation data here are the full-difficulty test sequences.
    schedule = []
    if args.curriculum not in (None, "none"):
        schedule = [
            curriculum.CURRICULA[args.curriculum](
                task, monitor="bit_errors_per_sequence"
            )
        ]
    watcher = ConvergenceWatcher(
        args.batch_size,
        steps,
        args.threshold,
        args.watch,
        args.stop_at or args.budget,
    )
    epochs = math.ceil(args.budget / (steps * args.batch_size))
    learning_rate = float(model.optimizer.learning_rate)
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
    model.fit(
        data("train"),
        steps_per_epoch=steps,
        epochs=epochs,
        validation_data=data("test"),
        callbacks=schedule + [watcher],
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
        "wall_seconds": round(time.perf_counter() - started, 1),
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
            statistics.median(seconds) if len(seconds) == len(results) else None
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
    if args.out:
        try:  # before hours of training are lost to a file it cannot write
            run_files.check_writable_directory("--out", args.out)
        except ValueError as error:
            parser.error(str(error))
    if args.save_final:
        if not args.out:
            parser.error("--save-final needs --out")
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
    model_overrides, task_overrides = training.split_overrides(
        args.model, args.task, overrides
    )
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
    if args.from_log:
        try:  # before anything is written
            logged = results_from_log(args.from_log)
        except ValueError as error:
            parser.error(f"--from-log: {error}")
    out = pathlib.Path(args.out) if args.out else None
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
        "stop_at": args.stop_at,
        "results": [],
    }
    if args.from_log:
        report["rebuilt_from_log"] = args.from_log
        report["results"] = logged
        report["summary"] = summarise(report["results"], args.budget)
        write_report(report, out)
        print(json.dumps(report["summary"], indent=2))
        return
    saved = False
    for seed in seeds:
        result, model = run_seed(
            args.model, args.task, seed, args, model_overrides, task_overrides
        )
        report["results"].append(result)
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
    sys.exit(main())
