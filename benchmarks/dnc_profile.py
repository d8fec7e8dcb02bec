"""Where a DNC training step spends its time, as JSON.

    python benchmarks/dnc_profile.py --batch-size 32 --time 48 \
        --set memory_size=128 --set word_size=20 --set num_read_heads=1 \
        --set controller_units=100 --variants full,no_sort,no_links,ntm

Times `model.train_on_batch` (forward, backward and the optimizer, with
XLA) on one fixed batch of `--time` steps of copy-shaped bits, for the
`dnc` with some of its addressing functions replaced by cheap stand-ins of
the same shapes. The difference between `full` and a variant is what the
replaced piece costs (its forward and backward):

- `full`: the cell as it is.
- `no_sort`: `allocation_weights` without the sort: the same cumulative
  product in slot order (no argsort, no gathers).
- `no_links`: the link matrix is carried unchanged and the directional
  weightings are the previous read weightings (no N x N work at all; the
  link state is still carried).
- `link_two_calls`: `update_link`, then `directional_weights` on the new
  matrix, as the cell did before `addressing.link_step` (and the other
  `link_*` and `directional_*` variants: earlier attempts on top of it).
- `no_usage`: `update_usage` and `allocation_weights` both replaced
  (usage carried unchanged, allocation = 1 - usage).
- `ntm`: the `ntm` model with the same controller and memory, for scale.
- `lstm`: a one-layer LSTM of `controller_units` units, for scale.

Each variant is timed over `--repeats` steps after `--warmup` steps
(which include compilation); the median step time is reported, and the
variants run one after the other in one process, so their differences are
measured side by side.
"""

import argparse
import contextlib
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import profiling  # noqa: E402
from keras import ops  # noqa: E402

import tasks  # noqa: E402
import zoo  # noqa: E402
from ntm_keras.memory import addressing  # noqa: E402


def _allocation_unsorted(usage):
    usage = addressing.EPSILON + (1.0 - addressing.EPSILON) * usage
    log_usage = ops.log(usage)
    exclusive = ops.exp(ops.cumsum(log_usage, axis=-1) - log_usage)
    return (1.0 - usage) * exclusive


def _link_unchanged(link, precedence, write_weights):
    return link


def _directional_identity(link, read_weights):
    return read_weights, read_weights


def _usage_unchanged(usage, write_weights, free_gates, read_weights):
    return usage


def _allocation_free(usage):
    return 1.0 - usage


def _link_where(link, precedence, write_weights):
    rows = write_weights[:, :, None]
    columns = write_weights[:, None, :]
    link = (1.0 - rows - columns) * link + rows * precedence[:, None, :]
    size = link.shape[-1]
    diagonal = ops.eye(size, dtype="bool")[None]
    return ops.where(diagonal, ops.zeros_like(link), link)


def _link_split(link, precedence, write_weights):
    rows = write_weights[:, :, None]
    columns = write_weights[:, None, :]
    size = link.shape[-1]
    diagonal = ops.eye(size, dtype="bool")[None]
    new = ops.where(diagonal, 0.0, rows * precedence[:, None, :])
    return link - rows * link - link * columns + new


def _directional_matmul(link, read_weights):
    forward = ops.matmul(read_weights, ops.transpose(link, (0, 2, 1)))
    backward = ops.matmul(read_weights, link)
    return forward, backward


def _directional_elementwise(link, read_weights):
    # Products and sums instead of a batched dot: XLA fuses them into one
    # pass over the link matrix per direction.
    forward = ops.sum(link[:, None] * read_weights[:, :, None, :], axis=-1)
    backward = ops.sum(link[:, None] * read_weights[:, :, :, None], axis=-2)
    return forward, backward


def _two_calls(update=None, directional=None):
    """A `link_step` made of `update_link` and `directional_weights` (or
    stand-ins for them): the formulation before `link_step`."""

    def step(link, precedence, write_weights, read_weights):
        link = (update or addressing.update_link)(
            link, precedence, write_weights
        )
        directional_weights = directional or addressing.directional_weights
        return (link, *directional_weights(link, read_weights))

    return step


VARIANTS = {
    "directional_elementwise": {
        "link_step": _two_calls(directional=_directional_elementwise)
    },
    "directional_matmul": {
        "link_step": _two_calls(directional=_directional_matmul)
    },
    "link_two_calls": {"link_step": _two_calls()},
    "link_where": {"link_step": _two_calls(update=_link_where)},
    "link_split": {"link_step": _two_calls(update=_link_split)},
    "no_directional": {
        "link_step": _two_calls(directional=_directional_identity)
    },
    "no_link_update": {"link_step": _two_calls(update=_link_unchanged)},
    "full": {},
    "no_sort": {"allocation_weights": _allocation_unsorted},
    "no_links": {
        "link_step": _two_calls(_link_unchanged, _directional_identity)
    },
    "no_usage": {
        "update_usage": _usage_unchanged,
        "allocation_weights": _allocation_free,
    },
}


@contextlib.contextmanager
def patched(replacements):
    saved = {name: getattr(addressing, name) for name in replacements}
    try:
        for name, function in replacements.items():
            setattr(addressing, name, function)
        yield
    finally:
        for name, function in saved.items():
            setattr(addressing, name, function)


def build(variant, task, overrides):
    if variant == "ntm":
        keep = ("controller_units", "memory_size", "word_size")
        options = {k: v for k, v in overrides.items() if k in keep}
        return zoo.get("ntm", task=task, **options)
    if variant == "lstm":
        units = overrides.get("controller_units", 100)
        return zoo.get("lstm", task=task, units=units, num_layers=1)
    return zoo.get("dnc", task=task, **overrides)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--time", type=int, default=48)
    parser.add_argument("--variants", default="full,no_sort,no_links,ntm")
    parser.add_argument("--jit-compile", choices=("on", "off"), default="on")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE"
    )
    args = parser.parse_args(argv)
    overrides = {}
    for pair in args.set:
        key, value = pair.split("=", 1)
        overrides[key] = int(value)
    task = tasks.get("copy")
    batch = profiling.copy_batch(task, args.batch_size, args.time)
    results = []
    for variant in args.variants.split(","):
        keras.utils.set_random_seed(0)
        replacements = VARIANTS.get(variant, {})
        with patched(replacements):
            model = build(variant, task, overrides)
            jit = variant != "lstm" and args.jit_compile == "on"
            zoo.compile_for_task(model, task, jit_compile=jit, amsgrad=True)
            times = profiling.step_times(
                model, batch, args.repeats, warmup=args.warmup
            )
        result = {
            "variant": variant,
            **profiling.step_summary(times, args.batch_size),
        }
        results.append(result)
        print(json.dumps(result), file=sys.stderr, flush=True)
    print(
        json.dumps(
            {
                "benchmark": "dnc_profile",
                "batch_size": args.batch_size,
                "time": args.time,
                "jit_compile": args.jit_compile,
                "overrides": overrides,
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
