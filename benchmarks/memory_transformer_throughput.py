"""Training tokens per second: memory Transformers against `transformer_lm`.

    python benchmarks/memory_transformer_throughput.py \
        --out notes/data/memory-transformer-throughput.json

Experiment 6 of `notes/memory-transformer.md`. Each model (`NAME` or
`NAME:key=value,...` for zoo overrides) trains with `train_on_batch` on
random token ids (vocabulary 65, as Tiny Shakespeare) of `--length` steps
in batches of `--batch-size`, Adam and sparse cross-entropy, after
`--warmup` steps that include tracing; the median of the windows of
`--steps` steps gives tokens per second. All models are built and warmed
up first, then time one window each that is not kept (the first window
after another model's warm-up is slow); then `--rounds` rounds each time
`--repeats` windows of every model in turn, so a change of load during
the run hits all of them, and `round_ratios_to_first` gives the ratio in
each round. A model may set its own length with `length=...` among its
overrides (the memory models see `--length` steps, `segment_length` at a
time; `transformer_lm` attends over its whole input, so
`transformer_lm:length=32` has the memory models' window).

Diagnostics (`--patch`), for profiling only, change the memory block in
this process: `summed_write` replaces the exact composition of the
segment's writes (`sequential_write`) by one summed add, `no_memory`
removes the read and the write (the block becomes a plain decoder block
run segment by segment).
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import memory_transformer_experiment as experiment  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

import zoo  # noqa: E402
from ntm_keras.layers import (  # noqa: E402
    memory_augmented_transformer_block as block_module,
)

VOCABULARY = 65


def _summed_write(memory, weights, erase, add):
    return memory + ops.einsum("btvn,btvw->bnw", weights, add)


def apply_patch(patch):
    if patch == "summed_write":
        block_module.sequential_write = _summed_write
    elif patch == "no_memory":
        cls = block_module.MemoryAugmentedTransformerBlock

        def call(self, inputs, memory=None, padding_mask=None, **kwargs):
            if memory is None:
                memory = self.get_initial_memory(ops.shape(inputs)[0])
            outputs, _ = self._self_attention_sublayer(
                inputs, padding_mask, self.use_causal_mask, None
            )
            return self._feed_forward_sublayer(outputs, None), memory

        cls.call = call
    elif patch != "none":
        raise ValueError(f"Invalid `--patch`: {patch!r}.")


def parse_model(text):
    name, _, rest = text.partition(":")
    overrides = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        overrides[key] = (
            value if value in ("ntm", "dnc") else json.loads(value.lower())
        )
    return name, overrides


def prepare(text, args):
    """Builds, compiles and warms up one model; returns its step and facts."""
    name, overrides = parse_model(text)
    length = overrides.pop("length", args.length)
    keras.utils.set_random_seed(0)
    model = zoo.get(
        name, input_dim=VOCABULARY, output_dim=VOCABULARY, **overrides
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=args.jit_compile == "on",
    )
    rng = np.random.default_rng(0)
    inputs = rng.integers(0, VOCABULARY, (args.batch_size, length))
    targets = rng.integers(0, VOCABULARY, (args.batch_size, length))
    started = time.perf_counter()
    for _ in range(args.warmup):
        model.train_on_batch(inputs, targets)
    facts = {
        "model": text,
        "length": length,
        "parameters": int(model.count_params()),
        "warmup_seconds": round(time.perf_counter() - started, 1),
        "windows": [],
    }
    return (lambda: model.train_on_batch(inputs, targets)), facts


def window(step, facts, args):
    """Times `--steps` steps; appends tokens per second to the facts."""
    started = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - started
    tokens = args.steps * args.batch_size * facts["length"]
    facts["windows"].append(round(tokens / seconds, 1))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "models",
        nargs="*",
        default=["transformer_lm:length=32", "ntm_transformer"],
    )
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="alternate the models: each round times --repeats windows of "
        "each model in turn, so a change of load hits all of them",
    )
    parser.add_argument("--jit-compile", choices=("on", "off"), default="off")
    parser.add_argument(
        "--patch",
        choices=("none", "summed_write", "no_memory"),
        default="none",
    )
    parser.add_argument("--note", default="")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    apply_patch(args.patch)
    report = {
        "command": " ".join(["python", *sys.argv]),
        "commit": experiment.current_commit(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared)",
        "arguments": vars(args),
        "results": [],
    }
    prepared = [prepare(text, args) for text in args.models]
    for step, facts in prepared:  # one window each, not kept
        window(step, facts, args)
        facts["windows"].clear()
    for _ in range(args.rounds):  # one window per model per round
        for step, facts in prepared:
            for _ in range(args.repeats):
                window(step, facts, args)
    for _, facts in prepared:
        facts["tokens_per_second"] = statistics.median(facts["windows"])
    report["results"] = [facts for _, facts in prepared]
    reference = report["results"][0]
    per_window = args.repeats
    for facts in report["results"]:
        facts["ratio_to_first"] = round(
            facts["tokens_per_second"] / reference["tokens_per_second"], 3
        )
        facts["round_ratios_to_first"] = [
            round(
                statistics.median(facts["windows"][r : r + per_window])
                / statistics.median(reference["windows"][r : r + per_window]),
                3,
            )
            for r in range(0, len(facts["windows"]), per_window)
        ]
        print(json.dumps(facts), flush=True)
    with open(args.out, "w") as file:
        file.write(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
