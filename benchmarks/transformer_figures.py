"""Figures for notes/attention.md and notes/transformer.md, from our runs.

    python benchmarks/transformer_figures.py encoding --out notes/figures/pe.png
    python benchmarks/transformer_figures.py lm-attention runs/<lm run> \
        --text "ROMEO:\nWhat" --out notes/figures/lm_attention.png
    python benchmarks/transformer_figures.py translation-attention \
        runs/<spa_eng run> --sentence "Where is the station?" \
        --out notes/figures/cross_attention.png

`encoding` draws the sinusoidal position-encoding matrix; `lm-attention`
draws every head of every layer of a trained language model on a text;
`translation-attention` translates a sentence greedily and draws the
attention of every layer (encoder self-attention, decoder self- and
cross-attention) on it.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

from ntm_keras.layers import sinusoidal_position_encoding  # noqa: E402
from zoo import registry  # noqa: E402
from zoo.inference import translation  # noqa: E402
from zoo.tensorboard.attention_maps import axis_labels  # noqa: E402
from zoo.tensorboard.attention_plots import visible_label  # noqa: E402
from zoo.training import checkpointing  # noqa: E402


def encoding_figure(out, length=100, width=128):
    encoding = ops.convert_to_numpy(sinusoidal_position_encoding(length, width))
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(12, 4.5), constrained_layout=True
    )
    image = left.imshow(encoding, cmap="RdBu", aspect="auto", vmin=-1, vmax=1)
    left.set_xlabel("feature (even: sin, odd: cos)")
    left.set_ylabel("position")
    left.set_title(f"sinusoidal position encoding, d_model = {width}")
    figure.colorbar(image, ax=left)
    for feature in (0, 1, 10, 40, 100):
        right.plot(encoding[:, feature], label=f"feature {feature}")
    right.set_xlabel("position")
    right.set_title("a few features along the positions")
    right.legend()
    figure.savefig(out, dpi=100)
    plt.close(figure)


def grid_figure(scores, labels, out, title):
    """One row per attention layer, one column per head."""
    names = list(scores)
    num_heads = next(iter(scores.values())).shape[1]
    figure, axes = plt.subplots(
        len(names),
        num_heads,
        figsize=(3.2 * num_heads, 3.2 * len(names)),
        squeeze=False,
        constrained_layout=True,
    )
    for row, name in enumerate(names):
        query_labels, key_labels = axis_labels(name, labels)
        for head in range(num_heads):
            axis = axes[row][head]
            axis.imshow(scores[name][0, head], cmap="viridis", vmin=0, vmax=1)
            axis.set_title(f"{name}\nhead {head}", fontsize=8)
            axis.set_xticks(range(len(key_labels)))
            axis.set_xticklabels(
                [visible_label(k) for k in key_labels], fontsize=6, rotation=90
            )
            axis.set_yticks(range(len(query_labels)))
            axis.set_yticklabels(
                [visible_label(q) for q in query_labels], fontsize=6
            )
    figure.suptitle(title)
    figure.savefig(out, dpi=100)
    plt.close(figure)


def lm_attention(run_dir, text, out):
    task, model = checkpointing.load_run(run_dir, "best")
    ids = task.encode(text, argument="text")[None]
    scores = registry.describe(model.name).attention_scores(model, ids)
    characters = list(text)
    labels = {"source": characters, "target": characters}
    grid_figure(scores, labels, out, f"{model.name} on {text!r}")


def translation_attention(run_dir, sentence, out):
    task, model = checkpointing.load_run(run_dir, "best")
    (spanish,) = translation.translate(model, task, [sentence])
    source = task.encode_source([sentence])[0]
    source = source[source != 0]
    target = np.concatenate(
        [[task.start_id], task._ids("es", [spanish], task.sequence_length)[0]]
    )
    target = target[target != 0]
    inputs = {"encoder_inputs": source[None], "decoder_inputs": target[None]}
    scores = registry.describe(model.name).attention_scores(model, inputs)
    labels = {
        "source": task.token_strings(source, "en"),
        "target": task.token_strings(target, "es"),
    }
    grid_figure(scores, labels, out, f"{sentence!r} -> {spanish!r}")
    print(spanish)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "figure", choices=("encoding", "lm-attention", "translation-attention")
    )
    parser.add_argument("run_dir", nargs="?")
    parser.add_argument("--out", required=True)
    parser.add_argument("--text", default="ROMEO:\nWhat say")
    parser.add_argument("--sentence", default="Where is the station?")
    args = parser.parse_args(argv)
    if args.figure == "encoding":
        encoding_figure(args.out)
    elif args.figure == "lm-attention":
        lm_attention(args.run_dir, args.text.replace("\\n", "\n"), args.out)
    else:
        translation_attention(args.run_dir, args.sentence, args.out)


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
