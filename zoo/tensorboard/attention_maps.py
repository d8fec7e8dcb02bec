"""Writes attention maps of a fixed example to TensorBoard each epoch."""

from zoo.tensorboard import attention_plots
from zoo.tensorboard.writer import InspectionLogger


class AttentionMapLogger(InspectionLogger):
    """Logs one image per attention layer: every head's weights.

    At the end of the epochs its schedule chooses (every epoch without one)
    the model reads one fixed example (the task's first validation example)
    and the weights of every attention layer
    (self-attention of each block, and cross-attention in a decoder) are
    drawn with one panel per head, labelled with the example's tokens, under
    the tag `attention/<block>/<attention>` in `log_dir`.

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

    def inspect(self, epoch):
        inputs, labels = self.task.attention_example()
        scores = self.attention_scores(self.model, inputs)
        with self.writer(epoch):
            for name, weights in scores.items():
                query_labels, key_labels = axis_labels(name, labels)
                figure = attention_plots.plot_heads(
                    weights[0],
                    query_labels,
                    key_labels,
                    f"{name}, epoch {epoch}",
                )
                self.write_figure(f"attention/{name}", figure)


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
