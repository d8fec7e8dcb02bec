"""Pictures of attention weights, for TensorBoard and the notes."""

import numpy as np
from matplotlib.figure import Figure

# Tick labels are drawn only up to this many steps; longer axes stay bare.
MAX_LABELS = 80


def plot_heads(
    weights, query_labels=None, key_labels=None, title="", segment_length=None
):
    """Draws every head of one attention layer side by side.

    Args:
        weights: `(num_heads, query_steps, key_steps)` array; each row sums
            to 1 (or 0 where every key is masked).
        query_labels: optional list of str, one per query step (rows).
        key_labels: optional list of str, one per key step (columns).
        title: str. The figure's title.
        segment_length: optional int. Steps per segment of a model that
            attends within segments: red lines go between segments.

    Returns:
        A matplotlib `Figure`.
    """
    weights = np.asarray(weights)
    num_heads, query_steps, key_steps = weights.shape
    size = 2.0 + min(query_steps, MAX_LABELS) * 0.12
    figure = Figure(figsize=(size * num_heads, size), layout="constrained")
    axes = figure.subplots(1, num_heads, squeeze=False)
    for head, axis in enumerate(axes[0]):
        axis.imshow(weights[head], cmap="viridis", vmin=0.0, vmax=1.0)
        axis.set_title(f"head {head}")
        _label(axis.set_xticks, axis.set_xticklabels, key_labels, key_steps, 90)
        _label(
            axis.set_yticks, axis.set_yticklabels, query_labels, query_steps, 0
        )
        if segment_length is not None:
            for boundary in range(segment_length, key_steps, segment_length):
                axis.axvline(boundary - 0.5, color="red", linewidth=1.0)
            for boundary in range(segment_length, query_steps, segment_length):
                axis.axhline(boundary - 0.5, color="red", linewidth=1.0)
        axis.set_xlabel("key (attended) step")
        axis.set_ylabel("query step")
    figure.suptitle(title)
    return figure


def _label(set_ticks, set_labels, labels, steps, rotation):
    if labels is None or steps > MAX_LABELS:
        return
    set_ticks(range(steps))
    set_labels([visible_label(label) for label in labels], rotation=rotation)


def visible_label(label):
    """Shows spaces and newlines, which would otherwise be invisible."""
    return {" ": "␣", "\n": "⏎"}.get(label, label)
