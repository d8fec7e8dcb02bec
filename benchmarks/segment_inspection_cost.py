"""What the attention maps add to a memory Transformer's inspection.

    python benchmarks/segment_inspection_cost.py --model ntm_transformer_tiny

Builds `--model` for copy (default options, so the probe is the 39-step
test sequence cut to `MAX_PROBE_SEGMENTS` segments) and times
`SegmentMemoryImages` with and without `attention`, after a first call that
traces: the whole end-of-epoch work (`on_epoch_end`: the trace, the
scalars and the pictures) and the drawing alone (`inspect`: images and
event file). Each is the median of `--repeats` calls, for two loggers of
each kind in turn. Prints JSON in seconds.
"""

import argparse
import json
import os
import statistics
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from inspection_cost import timed  # noqa: E402

import tasks  # noqa: E402
import zoo  # noqa: E402
from zoo.tensorboard.segment_memory_images import (  # noqa: E402
    SegmentMemoryImages,
    probe_inputs,
)


def measure(model, probe, attention, repeats):
    """Median seconds of `on_epoch_end` and of `inspect`, after the first."""
    with tempfile.TemporaryDirectory() as log_dir:
        logger = SegmentMemoryImages(log_dir, probe, attention=attention)
        logger.set_model(model)
        logger.set_params({"epochs": 2 * repeats + 2})
        logger.on_epoch_end(0, {})  # traces, opens the writer
        whole, drawing = [], []
        for epoch in range(1, repeats + 1):
            whole += timed(lambda: logger.on_epoch_end(epoch, {}))
            drawing += timed(lambda: logger.inspect(epoch))
        logger.on_train_end()
    return statistics.median(whole), statistics.median(drawing)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="ntm_transformer_tiny")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    task = tasks.get("copy")
    model = zoo.get(args.model, task=task)
    probe = probe_inputs(task)
    results = {"memory": [], "memory_and_attention": []}
    for _ in range(2):
        for attention, key in (
            (False, "memory"),
            (True, "memory_and_attention"),
        ):
            results[key].append(measure(model, probe, attention, args.repeats))
    report = {"model": args.model, "probe_steps": int(probe.shape[1])}
    for key, runs in results.items():
        report[key] = {
            "on_epoch_end_seconds": [round(w, 4) for w, _ in runs],
            "inspect_seconds": [round(d, 4) for _, d in runs],
        }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
