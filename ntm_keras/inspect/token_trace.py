"""A memory trace of a token sequence, seen through the words it uses."""

import numpy as np


def words_view(trace, inputs, targets=None, mask=None):
    """Turns a trace of token ids into rows of the words the story uses.

    `plot_memory_trace` draws inputs, outputs and targets as channels over
    time. For a token model those would be the whole vocabulary, nearly
    all of it empty; this keeps one row per word that occurs in the inputs
    or in the scored targets, in id order.

    Args:
        trace: dict from `ntm_keras.inspect.memory_trace`, its `outputs`
            the logits `(time, vocabulary_size)`.
        inputs: `(time,)` token ids of the traced sequence.
        targets: optional `(time,)` target ids.
        mask: optional `(time,)`: 1 where a target is scored. Defaults to
            every step of `targets`.

    Returns:
        `(trace, inputs, targets, words)`: a copy of `trace` whose
        `outputs` are the softmax probabilities of the `words` columns,
        the inputs one-hot `(time, len(words))`, the scored targets one-hot
        (`None` without `targets`), and the word ids `(len(words),)`.

    Example:

    >>> trace = {"outputs": np.zeros((2, 5))}
    >>> view, rows, _, words = words_view(trace, np.array([3, 1]))
    >>> words.tolist(), rows.tolist(), view["outputs"].tolist()
    ([1, 3], [[0.0, 1.0], [1.0, 0.0]], [[0.2, 0.2], [0.2, 0.2]])
    """
    inputs = np.asarray(inputs)
    if inputs.ndim != 1:
        raise ValueError(
            "Invalid `inputs`: expected `(time,)` token ids of one "
            f"sequence, received shape {inputs.shape}."
        )
    used = [inputs]
    if targets is not None:
        targets = np.asarray(targets)
        mask = np.ones_like(targets) if mask is None else np.asarray(mask)
        used.append(targets[mask != 0])
    words = np.unique(np.concatenate(used).astype(np.int64))
    logits = np.asarray(trace["outputs"], np.float64)
    logits = logits - logits.max(axis=-1, keepdims=True)
    probabilities = np.exp(logits)
    probabilities /= probabilities.sum(axis=-1, keepdims=True)
    view = dict(trace, outputs=probabilities[:, words])
    one_hot = (inputs[:, None] == words[None, :]).astype(np.float32)
    scored = None
    if targets is not None:
        scored = (targets[:, None] == words[None, :]) * (mask[:, None] != 0)
        scored = scored.astype(np.float32)
    return view, one_hot, scored, words
