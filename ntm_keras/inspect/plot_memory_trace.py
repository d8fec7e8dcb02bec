"""A picture of a memory trace: inputs, weightings, memory, outputs."""

import numpy as np


def plot_memory_trace(trace, inputs, targets=None, *, title=""):
    """Draws a trace from `memory_trace` as one matplotlib figure.

    Rows: the inputs (channels x time), the write and read weightings of
    each head (slots x time), for a DNC the usage, the allocation and each
    read head's read modes over time, the outputs beside the targets
    (channels x time), and the memory before and after (slots x word),
    with a DNC's final link matrix beside them.

    Args:
        trace: dict from `ntm_keras.inspect.memory_trace`.
        inputs: `(time, input_dim)` array of the traced sequence.
        targets: optional `(time, output_dim)` array.
        title: str.

    Returns:
        A `matplotlib.figure.Figure`.
    """
    from matplotlib.figure import Figure

    panels = [("input", np.asarray(inputs).T, "time", "channel")]
    for kind in ("write", "read"):
        weights = trace[f"{kind}_weights"]
        for head in range(weights.shape[1]):
            panels.append(
                (
                    f"{kind} weighting, head {head}",
                    weights[:, head].T,
                    "time",
                    "slot",
                )
            )
    # DNC traces (`DNCCell`): usage, allocation and read modes over time.
    for key, name in (("usage", "usage"), ("allocation", "allocation")):
        if key in trace:
            panels.append((name, trace[key].T, "time", "slot"))
    if "read_modes" in trace:
        for head in range(trace["read_modes"].shape[1]):
            panels.append(
                (
                    f"read modes (backward, content, forward), head {head}",
                    trace["read_modes"][:, head].T,
                    "time",
                    "mode",
                )
            )
    panels.append(("output", trace["outputs"].T, "time", "channel"))
    if targets is not None:
        panels.append(("target", np.asarray(targets).T, "time", "channel"))
    memory = [
        ("memory before", trace["memory_before"]),
        ("memory after", trace["memory_after"]),
    ]
    figure = Figure(figsize=(9, 2.0 * (len(panels) + 1)))
    axes = figure.subplots(
        len(panels) + 1,
        1,
        gridspec_kw={"height_ratios": [1] * len(panels) + [1.5]},
    )
    for axis, (name, image, x_label, y_label) in zip(axes, panels):
        axis.imshow(
            image,
            aspect="auto",
            interpolation="nearest",
            cmap="viridis",
            origin="lower",
        )
        axis.set_title(name, fontsize=9)
        axis.set_xlabel(x_label, fontsize=8)
        axis.set_ylabel(y_label, fontsize=8)
    scale = max(float(np.max(np.abs(image))) for _, image in memory) or 1.0
    bottom = axes[-1]
    bottom.axis("off")
    columns = 3 if "link" in trace else 2
    inner = bottom.get_gridspec()[-1].subgridspec(1, columns, wspace=0.3)
    if "link" in trace:  # the DNC's final temporal link matrix L[i, j]
        axis = figure.add_subplot(inner[0, 2])
        axis.imshow(
            trace["link"][-1],
            interpolation="nearest",
            cmap="viridis",
            vmin=0.0,
            vmax=1.0,
        )
        axis.set_title("link matrix (row written after column)", fontsize=9)
        axis.set_xlabel("slot j", fontsize=8)
        axis.set_ylabel("slot i", fontsize=8)
    for index, (name, image) in enumerate(memory):
        axis = figure.add_subplot(inner[0, index])
        axis.imshow(
            image.T,
            aspect="auto",
            interpolation="nearest",
            cmap="RdBu_r",
            origin="lower",
            vmin=-scale,
            vmax=scale,
        )
        axis.set_title(name, fontsize=9)
        axis.set_xlabel("slot", fontsize=8)
        axis.set_ylabel("word", fontsize=8)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
