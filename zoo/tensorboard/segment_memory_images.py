"""TensorBoard pictures of a memory Transformer's memory, segment by segment.

Legend: T = time steps, S = segments, L = segment length, N = memory slots,
R = read heads, V = write heads.
"""

import matplotlib
import numpy as np
import tensorflow as tf

from ntm_keras import inspect, layers, validation
from zoo.models import ntm_transformer
from zoo.tensorboard.attention_maps import (
    SEGMENT_MARK,
    heads_image,
    segment_mark_width,
)
from zoo.tensorboard.memory_images import probe_example
from zoo.tensorboard.writer import InspectionLogger

# The probe is cut to at most this many segments: each costs an eager pass
# of every block, seconds for the full-size models.
MAX_PROBE_SEGMENTS = 4
# Colour of the gaps between panels; segments are marked in `SEGMENT_MARK`.
PANEL_GAP = (1.0, 1.0, 1.0)
# `trace_summary` reads the DNC gates under the names the `DNCCell` uses.
_CELL_NAMES = {
    "allocation_gates": "allocation_gate",
    "write_gates": "write_gate",
}


def find_segment_stack(model):
    """Returns the model's memory `SegmentRecurrentStack`, or None.

    The `ntm_transformer` and `dnc_transformer` families (and their `_tiny`
    sizes) have one, named `zoo.models.ntm_transformer.STACK_NAME`.
    """
    for layer in getattr(model, "layers", ()):
        if (
            isinstance(layer, layers.SegmentRecurrentStack)
            and layer.name == ntm_transformer.STACK_NAME
        ):
            return layer
    return None


def probe_inputs(task):
    """Returns the inputs of one fixed probe sequence of `task`, `(1, T...)`.

    Bit tasks: the longest of the first test sequences
    (`memory_images.probe_example`, as for the NTM). Token tasks: the
    example the attention maps show (`task.attention_example()`) where the
    task has one, else the longest of the first test sequences.
    """
    if task.spec.modality == "tokens" and hasattr(task, "attention_example"):
        inputs, _ = task.attention_example()
        return np.asarray(inputs)
    return probe_example(task)[0]


def segment_trace_summary(trace):
    """Scalars of a memory Transformer trace, named like the NTM's.

    Each block's trace goes through `ntm_keras.inspect.trace_summary`; the
    blocks are then combined: `memory_nonfinite_count` is the sum over
    blocks (NaN or infinite values anywhere in the trace, attention
    included), every other scalar the mean over blocks.

    Args:
        trace: dict from block name to a dict of arrays, as
            `zoo.models.ntm_transformer.memory_trace` returns it.

    Returns:
        dict: `memory_read_entropy` and `memory_write_entropy` (mean
        entropy in nats of the weightings, 0 for one sharp slot, `log N` for
        a uniform one), `memory_nonfinite_count`; for `addressing="dnc"`
        also `memory_mean_usage` (usage after each segment),
        `memory_mean_allocation_gate` and `memory_mean_write_gate`.

    Example:

    >>> weights = np.full((1, 2, 1, 4), 0.25)  # uniform over 4 slots
    >>> trace = {"b": {"read_weights": weights, "write_weights": weights}}
    >>> round(segment_trace_summary(trace)["memory_read_entropy"], 4)
    1.3863
    """
    per_block = [
        inspect.trace_summary(
            {_CELL_NAMES.get(key, key): value for key, value in block.items()}
        )
        for block in trace.values()
    ]
    summary = {}
    for name in per_block[0]:
        values = [block[name] for block in per_block]
        if name == "memory_nonfinite_count":
            summary[name] = float(np.sum(values))
        else:
            summary[name] = float(np.mean(values))
    return summary


def _panels(block_trace):
    """`(title, (T, N) weights)` of each panel of one block's picture."""
    panels = []
    for kind in ("write", "read"):
        weights = block_trace[f"{kind}_weights"][0]  # (T, heads, N)
        for head in range(weights.shape[1]):
            panels.append((f"{kind} weighting, head {head}", weights[:, head]))
    if "usage" in block_trace:
        usage = block_trace["usage"][0]  # (S, N), after each segment
        time = block_trace["read_weights"].shape[1]
        length_l = block_trace["self_attention"].shape[-1]
        # Each segment's steps show the usage that segment left.
        panels.append(
            ("usage after the segment", np.repeat(usage, length_l, 0)[:time])
        )
    return panels


def segment_memory_image(block_trace, scale=None):
    """Returns an RGB uint8 picture of one block's memory over time.

    Panels from top to bottom: the write weighting of each write head, the
    read weighting of each read head, and with `addressing="dnc"` the usage
    each segment left (drawn across that segment's steps). Each panel has
    the memory slots down and the steps across, viridis colours from 0 to
    1; a white row of one cell separates the panels and a red column one
    pixel wide (two from 8 pixels per cell on) marks each boundary between
    segments.

    Args:
        block_trace: one block's dict from
            `zoo.models.ntm_transformer.memory_trace`; only the first
            sequence of the batch is drawn.
        scale: optional int. Pixels per cell; None makes the longer axis of
            a panel about 256 pixels.

    Returns:
        `((P * (N + 1) - 1) * scale, T * scale + (S - 1) * m, 3)` uint8
        array for P panels, S segments and marks m pixels wide.
    """
    panels = _panels(block_trace)
    time, slots = panels[0][1].shape
    length_l = block_trace["self_attention"].shape[-1]
    if scale is None:
        scale = max(1, 256 // max(time, slots))
    mark = segment_mark_width(scale)
    num_segments = -(-time // length_l)
    width = time * scale + (num_segments - 1) * mark
    viridis = matplotlib.colormaps["viridis"]
    rows = []
    for index, (_, weights) in enumerate(panels):
        if index:
            rows.append(np.broadcast_to(PANEL_GAP, (scale, width, 3)))
        weights = np.clip(np.asarray(weights, np.float64), 0.0, 1.0)
        colours = viridis(weights.T)[..., :3]  # (N, T, 3)
        colours = np.repeat(np.repeat(colours, scale, 0), scale, 1)
        mark_column = np.broadcast_to(SEGMENT_MARK, (slots * scale, mark, 3))
        pieces = []
        for start in range(0, time, length_l):
            if start:
                pieces.append(mark_column)
            pieces.append(
                colours[:, start * scale : (start + length_l) * scale]
            )
        rows.append(np.concatenate(pieces, axis=1))
    return np.round(255 * np.concatenate(rows, axis=0)).astype(np.uint8)


class SegmentMemoryImages(InspectionLogger):
    """Pictures and scalars of a memory Transformer's reads and writes.

    At the end of every epoch a fixed probe (one sequence, cut to at most
    `MAX_PROBE_SEGMENTS` segments) runs through
    `zoo.models.ntm_transformer.memory_trace`, and the scalars of
    `segment_trace_summary` (weighting entropies, non-finite count, for
    the DNC usage and gates: the names the NTM's `MemoryImages` logs) go
    into the epoch logs, so place this callback before
    `keras.callbacks.TensorBoard`. At the epochs its schedule chooses
    (every epoch without one) it also writes, per block, the picture of
    `segment_memory_image` (write and read weightings over the slots along
    time, segment boundaries in red, usage for `addressing="dnc"`) to the
    Images tab as `memory/<block>` in `log_dir`; with `attention`, from the
    same trace, the block's self-attention over the probe as
    `attention/<block>/self_attention`: the segments' maps on the diagonal
    of the full map (`segment_attention_map`), one panel per head, red
    lines between segments (`attention_maps.heads_image`).

    Args:
        log_dir: path. Where the event file of the pictures goes.
        probe: `(1, T)` ids or `(1, T, input_dim)` bits: the probe's inputs
            (see `probe_inputs`).
        schedule: optional `InspectionSchedule`: the epochs it draws at.
        pictures: bool. False writes the scalars only. Defaults to True.
        attention: bool. Also draw the attention maps (`zoo.callbacks`
            asks for them on bit tasks; on token tasks `AttentionMapLogger`
            draws them, with the tokens). Defaults to False.

    Example:

    >>> import tasks, zoo
    >>> task = tasks.get("copy", max_length=4)
    >>> logger = SegmentMemoryImages("/tmp/logs", probe_inputs(task))
    >>> logger.probe.shape[0]
    1
    """

    def __init__(
        self, log_dir, probe, schedule=None, pictures=True, attention=False
    ):
        super().__init__(log_dir, schedule=schedule)
        probe = np.asarray(probe)
        if probe.ndim not in (2, 3) or not probe.size:
            raise ValueError(
                "Invalid `probe`: expected a `(1, time)` or `(1, time, "
                f"input_dim)` array of one sequence, received shape "
                f"{probe.shape}."
            )
        validation.check_bool("pictures", pictures)
        validation.check_bool("attention", attention)
        self.probe = probe
        self.pictures = pictures
        self.attention = attention
        self.trace = None
        # The `(num_heads, T, T)` maps last drawn, by block name.
        self.attention_maps = {}

    def on_epoch_end(self, epoch, logs=None):
        stack = find_segment_stack(self.model)
        length = MAX_PROBE_SEGMENTS * stack.segment_length
        self.trace = ntm_transformer.memory_trace(
            self.model, self.probe[:1, :length]
        )
        if logs is not None:
            logs.update(segment_trace_summary(self.trace))
        if self.pictures:
            super().on_epoch_end(epoch, logs)

    def inspect(self, epoch, logs=None):
        with self.writer(epoch):
            for block, block_trace in self.trace.items():
                panels = [title for title, _ in _panels(block_trace)]
                tf.summary.image(
                    f"memory/{block}",
                    segment_memory_image(block_trace)[None],
                    description=(
                        f"{block}, after epoch {epoch + 1}. Panels from "
                        "the top: "
                        f"{'; '.join(panels)}. Slots down, steps across; "
                        "red lines between segments."
                    ),
                )
                if self.attention:
                    self._write_attention(epoch, block, block_trace)

    def _write_attention(self, epoch, block, block_trace):
        """Writes `attention/<block>/self_attention`, inside `writer`."""
        per_segment = block_trace["self_attention"]  # (1, S, H, L, L)
        _, segments, heads, length_l, _ = per_segment.shape
        time = block_trace["read_weights"].shape[1]
        weights = ntm_transformer.segment_attention_map(per_segment, time)[0]
        self.attention_maps[block] = weights  # (H, T, T)
        tf.summary.image(
            f"attention/{block}/self_attention",
            heads_image(weights, segment_length=length_l)[None],
            description=(
                f"{block}, self-attention after epoch {epoch + 1}, on the "
                f"probe's {time} steps in {segments} segments of "
                f"{length_l}. Heads 0 to {heads - 1} from left to right; "
                "in each, query steps down and key (attended) steps "
                "across from step 0, viridis from 0 to 1; red lines "
                "between segments. A segment attends only within itself, "
                "so all weight lies in the diagonal blocks (in their lower "
                "triangles for causal blocks); earlier segments reach a "
                "step only through the memory."
            ),
        )
