"""Writes attention maps of a fixed example to TensorBoard each epoch."""

import matplotlib
import numpy as np
import tensorflow as tf

from ntm_keras import validation
from zoo.tensorboard.attention_plots import visible_label
from zoo.tensorboard.writer import InspectionLogger


class AttentionMapLogger(InspectionLogger):
    """Logs one image per attention layer: every head's weights.

    At the end of the epochs its schedule chooses (every epoch without one)
    the model reads one fixed example (the task's first validation example)
    and the weights of every attention layer (self-attention of each block,
    and cross-attention in a decoder) are written as one image with a panel
    per head (queries down, keys across, viridis colours from 0 to 1), under
    the tag `attention/<block>/<attention>` in `log_dir`; the example's
    tokens go in the image's description. The image is made from the
    weights directly: a labelled matplotlib figure
    (`attention_plots.plot_heads`, for the notes) costs seconds per layer,
    this costs milliseconds.

    Args:
        log_dir: path. Where the event file goes (e.g. `run/logs/inspection`).
        task: a token task with `attention_example()`, which returns the
            model inputs of one example and `{"source": [...], "target":
            [...]}`, the text of each token.
        attention_scores: function `(model, inputs) -> dict` of the model's
            family (see `zoo.describe(name).attention_scores`).
        schedule: optional `InspectionSchedule`: the epochs it draws at
            (every epoch without one).
    """

    def __init__(self, log_dir, task, attention_scores, schedule=None):
        super().__init__(log_dir, task, schedule)
        self.attention_scores = attention_scores

    def inspect(self, epoch, logs=None):
        inputs, labels = self.task.attention_example()
        scores = self.attention_scores(self.model, inputs)
        with self.writer(epoch):
            for name, weights in scores.items():
                query_labels, key_labels = axis_labels(name, labels)
                description = (
                    f"{name}, epoch {epoch}. Queries (rows): "
                    f"`{_text(query_labels)}`; keys (columns): "
                    f"`{_text(key_labels)}`."
                )
                tf.summary.image(
                    f"attention/{name}",
                    heads_image(weights[0])[None],
                    description=description,
                )


# Colour of the marks between the segments of a segment-recurrent model.
SEGMENT_MARK = (1.0, 0.0, 0.0)


def segment_mark_width(scale):
    """Pixels of a mark between segments: 1, or 2 from 8 pixels per cell."""
    return 2 if scale >= 8 else 1


def heads_image(weights, scale=None, segment_length=None):
    """Returns an RGB uint8 image of every head's weights side by side.

    Args:
        weights: `(num_heads, query_steps, key_steps)` array in [0, 1].
        scale: optional int. Pixels per weight; None makes the longer axis
            about 256 pixels.
        segment_length: optional int. Steps per segment, for the
            self-attention of a model that attends within segments (the
            memory Transformers): a red line `m = segment_mark_width(scale)`
            pixels wide goes between segments, across the rows and the
            columns of every head.

    Returns:
        `(query_steps * scale + marks_q, num_heads * (key_steps * scale +
        marks_k + scale) - scale, 3)` uint8 array: viridis colours, heads
        separated by a white column `scale` pixels wide; `marks_q` is `m`
        times the segment boundaries within the queries (0 without
        `segment_length`), `marks_k` within the keys.
    """
    weights = np.clip(np.asarray(weights, np.float64), 0.0, 1.0)
    num_heads, query_steps, key_steps = weights.shape
    if scale is None:
        scale = max(1, 256 // max(query_steps, key_steps))
    colours = matplotlib.colormaps["viridis"](weights)[..., :3]  # (H, Q, K, 3)
    colours = np.repeat(np.repeat(colours, scale, axis=1), scale, axis=2)
    if segment_length is not None:
        validation.check_positive_int("segment_length", segment_length)
        width = segment_mark_width(scale)
        for axis, steps in ((1, query_steps), (2, key_steps)):
            boundaries = np.arange(segment_length, steps, segment_length)
            colours = np.insert(
                colours,
                np.repeat(boundaries * scale, width),
                SEGMENT_MARK,
                axis=axis,
            )
    gap = np.ones((colours.shape[1], scale, 3))
    panels = []
    for head in range(num_heads):
        if head:
            panels.append(gap)
        panels.append(colours[head])
    image = np.concatenate(panels, axis=1)
    return np.round(255 * image).astype(np.uint8)


def _text(labels):
    return "".join(visible_label(label) for label in labels)


def axis_labels(name, labels):
    """Returns `(query_labels, key_labels)` of the attention layer `name`.

    Encoder self-attention relates source tokens to source tokens, decoder
    self-attention target to target, cross-attention target (queries) to
    source (keys). A one-sequence task gives the same tokens for both.
    """
    if name.startswith("encoder"):
        return labels["source"], labels["source"]
    if name.endswith("cross_attention"):
        return labels["target"], labels["source"]
    return labels["target"], labels["target"]
