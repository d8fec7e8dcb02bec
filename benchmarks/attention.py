"""Our MultiHeadAttention against keras.layers.MultiHeadAttention, as JSON.

    python benchmarks/attention.py
    python benchmarks/attention.py --sizes 32x64x128x4 --repeats 30

For each size (batch x steps x model width x heads) and each case (self-
attention, causal self-attention, cross-attention over twice as many key
steps), both layers get the same weights and run the same compiled
training step: forward, a scalar loss, and the gradients with respect to
the inputs and every weight. The timed calls of the two layers alternate,
so both see the same machine load; the JSON gives the median time of each
and their ratio, keras / ours (above 1: ours is faster).
"""

import argparse
import json
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from ntm_keras.layers import MultiHeadAttention  # noqa: E402

DEFAULT_SIZES = ("32x64x128x4", "16x128x256x8", "8x256x512x8")
CASES = ("self", "causal", "cross")


def training_step(layer, case):
    """A compiled forward + backward pass of one attention layer."""

    @tf.function(jit_compile=False)
    def step(query, value):
        with tf.GradientTape() as tape:
            tape.watch([query, value])
            if case == "self":
                outputs = layer(query, query)
            elif case == "causal":
                outputs = layer(query, query, use_causal_mask=True)
            else:
                outputs = layer(query, value)
            loss = tf.reduce_sum(tf.square(outputs))
        sources = [query, value] + list(layer.trainable_variables)
        return tape.gradient(loss, sources, unconnected_gradients="zero")

    return step


def time_calls(step, inputs, calls):
    start = time.perf_counter()
    for _ in range(calls):
        result = step(*inputs)
    tf.nest.map_structure(lambda t: t.numpy(), result)  # wait for the work
    return (time.perf_counter() - start) / calls


def measure(size, case, repeats, calls, warmup):
    batch, steps, width, heads = (int(part) for part in size.split("x"))
    rng = np.random.default_rng(0)
    query = tf.constant(rng.standard_normal((batch, steps, width)), tf.float32)
    value = tf.constant(
        rng.standard_normal((batch, 2 * steps, width)), tf.float32
    )
    arguments = {"num_heads": heads, "key_dim": width // heads}
    theirs = keras.layers.MultiHeadAttention(**arguments)
    ours = MultiHeadAttention(**arguments)
    key_value = query if case != "cross" else value
    theirs(query, key_value)
    ours(query, key_value)
    ours.set_weights(theirs.get_weights())
    steps_by_name = {
        "ours": training_step(ours, case),
        "keras": training_step(theirs, case),
    }
    for step in steps_by_name.values():
        time_calls(step, (query, value), warmup)
    seconds = {name: [] for name in steps_by_name}
    for _ in range(repeats):
        for name, step in steps_by_name.items():
            seconds[name].append(time_calls(step, (query, value), calls))
    medians = {name: statistics.median(v) for name, v in seconds.items()}
    return {
        "size": size,
        "case": case,
        "batch": batch,
        "steps": steps,
        "key_steps": 2 * steps if case == "cross" else steps,
        "model_dim": width,
        "num_heads": heads,
        "median_ms": {name: 1000 * m for name, m in medians.items()},
        "ratio_keras_over_ours": medians["keras"] / medians["ours"],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--cases", nargs="+", default=list(CASES))
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args(argv)
    results = [
        measure(size, case, args.repeats, args.calls, args.warmup)
        for size in args.sizes
        for case in args.cases
    ]
    ratios = [row["ratio_keras_over_ours"] for row in results]
    print(
        json.dumps(
            {
                "benchmark": "attention forward+backward",
                "machine": {
                    "platform": platform.platform(),
                    "cpus": os.cpu_count(),
                    "tensorflow": tf.__version__,
                    "keras": keras.__version__,
                },
                "repeats": args.repeats,
                "calls_per_repeat": args.calls,
                "results": results,
                "median_ratio": statistics.median(ratios),
                "min_ratio": min(ratios),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
