"""The diagram of notes/memory-transformer.md: one block over two segments.

    python benchmarks/memory_transformer_figure.py \
        --out notes/figures/memory-transformer-block.png

Draws, for two consecutive segments, the four sublayers of
`MemoryAugmentedTransformerBlock` (self-attention, memory read,
feed-forward, memory write) and the memory carried between the segments.
No model is run; the figure is a drawing of the design.
"""

import argparse

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

SUBLAYERS = (
    ("causal self-attention\n(within the segment)", "#cfe2f3"),
    ("memory read\ncontent_weights + read", "#d9ead3"),
    ("feed-forward", "#fff2cc"),
    ("memory write, every step\nerase_and_add, composed in order", "#f4cccc"),
)


def _box(axes, x, y, width, height, text, colour):
    axes.add_patch(
        FancyBboxPatch(
            (x, y),
            width,
            height,
            boxstyle="round,pad=0.02",
            facecolor=colour,
            edgecolor="black",
            linewidth=1.0,
        )
    )
    axes.text(
        x + width / 2,
        y + height / 2,
        text,
        ha="center",
        va="center",
        fontsize=8,
    )


def _arrow(axes, start, end, style="-|>", colour="black", dashed=False):
    axes.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=10,
            color=colour,
            linestyle="--" if dashed else "-",
            linewidth=1.0,
        )
    )


def block_figure():
    """Returns a `Figure` of one block over segments s and s + 1."""
    figure = Figure(figsize=(10, 6.2), constrained_layout=True)
    axes = figure.add_subplot()
    axes.set_xlim(0, 10)
    axes.set_ylim(0, 6.2)
    axes.axis("off")
    width, height = 2.8, 0.7
    read_y, write_y = 0.8 + 1.15, 0.8 + 3 * 1.15
    memory_boxes = ((0.1, read_y), (4.55, 3.0), (9.0, 3.0))
    for index, (x, y) in enumerate(memory_boxes):
        label = ("M_s", "M_s+1", "M_s+2")[index]
        _box(axes, x, y, 0.9, 0.9, f"{label}\nN x W", "#eeeeee")
    for column, segment in enumerate(("segment s", "segment s + 1")):
        x = 1.3 + column * 4.6
        axes.text(
            x + width / 2,
            0.25,
            f"{segment}: L token states",
            ha="center",
            fontsize=9,
        )
        _arrow(axes, (x + width / 2, 0.45), (x + width / 2, 0.8))
        for row, (text, colour) in enumerate(SUBLAYERS):
            y = 0.8 + row * 1.15
            _box(axes, x, y, width, height, text, colour)
            if row:
                _arrow(axes, (x + width / 2, y - 0.45), (x + width / 2, y))
        axes.text(
            x + width / 2,
            5.6,
            "L outputs (to the next block)",
            ha="center",
            fontsize=9,
        )
        _arrow(axes, (x + width / 2, write_y + height), (x + width / 2, 5.5))
        # The read takes the memory the segment starts from ...
        memory_x, memory_y = memory_boxes[column]
        _arrow(
            axes,
            (memory_x + (0.9 if column == 0 else 0.45), memory_y + 0.45),
            (x, read_y + height / 2),
            colour="#38761d",
        )
        # ... and the write gives the memory the next segment starts from.
        next_x, next_y = memory_boxes[column + 1]
        _arrow(
            axes,
            (x + width, write_y + height / 2),
            (next_x + 0.45, next_y + 0.9),
            colour="#990000",
        )
    axes.text(
        5.0,
        2.6,
        "written memory,\ncarried to the next segment",
        ha="center",
        fontsize=8,
        color="#990000",
    )
    axes.text(
        5.0,
        6.0,
        "MemoryAugmentedTransformerBlock: reads address the memory at the "
        "start of the segment; the write of step t is M -> M keep_t + add_t",
        ha="center",
        fontsize=9,
    )
    return figure


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default="notes/figures/memory-transformer-block.png"
    )
    arguments = parser.parse_args()
    block_figure().savefig(arguments.out, dpi=130)
    print(f"wrote {arguments.out}")


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
