"""Counts the XLA kernels in the recurrent loop of an NTM training step.

    python benchmarks/ntm_hlo_kernels.py full no_memory shift_stacked lstm

On a CPU, an XLA-compiled `keras.layers.RNN` runs its time steps as a
`while` loop (forward) and a second `while` loop (backward). Each
instruction left in a loop body after XLA's optimizations (a fusion, a dot,
a copy, a concatenation, and the dynamic-update-slices that stack the
forward's intermediates for the backward) is one kernel launched per time
step. With small tensors (batch 32, 128 x 20 memory) the step time follows
this count more than the arithmetic, and the count is exact where timings
on a shared machine are not.

Compiles one `train_on_batch` of `--time` steps at `--batch-size` for each
variant of `benchmarks/ntm_profile.py` (same names, same stand-ins), with
the HLO dumped to a temporary directory, and prints per variant the
kernels in each loop body by kind, as JSON.
"""

import argparse
import collections
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

IGNORED = ("parameter", "get-tuple-element", "tuple", "constant", "bitcast")


def count_loops(dump_directory):
    """Kernels per `while` body of the largest module in a dump."""
    files = glob.glob(os.path.join(dump_directory, "*after_optimizations.txt"))
    largest = max(files, key=os.path.getsize)
    with open(largest) as handle:
        lines = handle.read().splitlines()
    bodies = [
        (index, line)
        for index, line in enumerate(lines)
        if "while_body" in line
        and line.endswith("{")
        and not line.startswith(" ")
    ]
    loops = []
    for index, header in bodies:
        kinds = collections.Counter()
        for line in lines[index + 1 :]:
            if line.startswith("}"):
                break
            match = re.search(r"= \S+ ([\w-]+)\(", line)
            if not match or match.group(1) in IGNORED:
                continue
            name = line.split("=")[0]
            kind = (
                "dynamic-update-slice"
                if "dynamic-update-slice" in name
                else (match.group(1))
            )
            kinds[kind] += 1
        loops.append(
            {
                "loop": "backward" if "_grad_" in header else "forward",
                "kernels": sum(kinds.values()),
                "by_kind": dict(kinds.most_common()),
            }
        )
    return loops


def compile_variant(variant, args, dump_directory):
    """Runs one training step of `variant` in a child with the HLO dumped."""
    code = (
        "import sys, numpy as np, tasks; sys.path.insert(0, 'benchmarks');"
        "import ntm_profile as p;"
        f"v = {variant!r}; task = tasks.get('copy');"
        "stand_ins = p.STAND_INS.get(v.partition('@')[0], {});\n"
        "with p.patched(stand_ins):\n"
        f"    model = p.build(v, task, {{}}, True, {args.time})\n"
        "    rng = np.random.default_rng(0)\n"
        f"    x = rng.integers(0, 2, ({args.batch_size}, {args.time}, 9))\n"
        "    x = x.astype('float32')\n"
        "    model.train_on_batch(x, x[..., :8])\n"
    )
    environment = dict(
        os.environ,
        XLA_FLAGS=f"--xla_dump_to={dump_directory} --xla_dump_hlo_as_text",
        TF_CPP_MIN_LOG_LEVEL="3",
    )
    subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        check=True,
        stderr=subprocess.DEVNULL,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="+")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--time", type=int, default=16)
    args = parser.parse_args(argv)
    results = []
    for variant in args.variants:
        with tempfile.TemporaryDirectory() as dump_directory:
            compile_variant(variant, args, dump_directory)
            loops = count_loops(dump_directory)
        results.append(
            {
                "variant": variant,
                "kernels_per_step": sum(loop["kernels"] for loop in loops),
                "loops": loops,
            }
        )
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print(
        json.dumps(
            {
                "benchmark": "ntm_hlo_kernels",
                "batch_size": args.batch_size,
                "time": args.time,
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
