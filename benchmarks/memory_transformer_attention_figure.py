"""The attention figure of notes/memory-transformer.md, from a short run.

    python benchmarks/memory_transformer_attention_figure.py \
        --out notes/figures/memory-transformer-attention-bits.png

Trains `ntm_transformer_tiny` briefly on copy (`max_length=6`,
`segment_length=4`, `dropout=0.0`, 4 epochs of 150 steps of batch 16,
learning rate 0.003, seed 0) with `zoo.training.train`, reads the last
`attention/memory_block_0/self_attention` image back from the run's
`inspection` event file, and checks that the trained model's trace of the
same probe draws exactly that image (`heads_image`). The figure is the same
map drawn with labels (`attention_plots.plot_heads`): each probe step is
named by its role (`in`, `delim`, `out`). Prints JSON: the run's test
metrics and, per head, the attention of the recall steps.
"""

import argparse
import json
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorboard.backend.event_processing import (  # noqa: E402
    event_accumulator,
)

from zoo import training  # noqa: E402
from zoo.models import ntm_transformer  # noqa: E402
from zoo.tensorboard import segment_memory_images  # noqa: E402
from zoo.tensorboard.attention_maps import heads_image  # noqa: E402
from zoo.tensorboard.attention_plots import plot_heads  # noqa: E402
from zoo.training import checkpointing  # noqa: E402

TAG = "attention/memory_block_0/self_attention"
OVERRIDES = {"max_length": 6, "segment_length": 4, "dropout": 0.0}


def last_image(run_dir):
    """The last image under `TAG` in the run's inspection event file."""
    accumulator = event_accumulator.EventAccumulator(
        str(run_dir / "logs" / "inspection"),
        size_guidance={event_accumulator.TENSORS: 0},
    )
    accumulator.Reload()
    event = accumulator.Tensors(TAG)[-1]
    png = tf.make_ndarray(event.tensor_proto)[2]
    return event.step, tf.image.decode_png(png).numpy()


def step_roles(probe):
    """`in`, `delim` or `out` for each step of a copy probe `(1, T, 9)`."""
    delimiter = int(np.argmax(probe[0, :, -1]))
    return [
        f"{step} "
        + (
            "in"
            if step < delimiter
            else "delim"
            if step == delimiter
            else "out"
        )
        for step in range(probe.shape[1])
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--log-dir", default=None)
    args = parser.parse_args()
    log_dir = args.log_dir or tempfile.mkdtemp()
    run_dir = training.train(
        "ntm_transformer_tiny",
        "copy",
        overrides=OVERRIDES,
        log_dir=log_dir,
        verbose=0,
        epochs=4,
        steps_per_epoch=150,
        batch_size=16,
        learning_rate=0.003,
        seed=0,
    )
    step, image = last_image(run_dir)
    task, model = checkpointing.load_run(run_dir, "last")
    probe = segment_memory_images.probe_inputs(task)
    segment_length = OVERRIDES["segment_length"]
    length = segment_memory_images.MAX_PROBE_SEGMENTS * segment_length
    probe = probe[:1, :length]
    trace = ntm_transformer.memory_trace(model, probe)["memory_block_0"]
    time = probe.shape[1]
    weights = ntm_transformer.segment_attention_map(
        trace["self_attention"], time
    )[0]
    same = np.array_equal(
        heads_image(weights, segment_length=segment_length), image
    )
    labels = step_roles(probe)
    figure = plot_heads(
        weights,
        labels,
        labels,
        title=(
            "ntm_transformer_tiny, copy (max_length 6), epoch "
            f"{step + 1}:\nmemory_block_0 self-attention, segments of "
            f"{segment_length} (red lines)"
        ),
        segment_length=segment_length,
    )
    figure.savefig(args.out, dpi=100)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    out_steps = [i for i, label in enumerate(labels) if label.endswith("out")]
    print(
        json.dumps(
            {
                "run_dir": str(run_dir),
                "image_step": step,
                "figure_matches_tensorboard_image": bool(same),
                "test": metrics.get("test"),
                "roles": labels,
                "weights": {
                    f"head {head}": [
                        " ".join(f"{value:.2f}" for value in row)
                        for row in weights[head]
                    ]
                    for head in range(weights.shape[0])
                },
                "recall_steps": out_steps,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
