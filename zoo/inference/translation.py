"""Translation with a trained encoder-decoder: greedy, beam search, BLEU.

Legend: B = batch size, K = beams, L = sequence length, N = vocabulary.
"""

import pathlib

import keras_hub
import numpy as np
import tensorflow as tf
from keras import ops

from ntm_keras import validation


def make_sampler(beam_width=1):
    """keras-hub's greedy sampler, or its beam search for `beam_width > 1`."""
    beam_width = validation.check_positive_int("beam_width", beam_width)
    if beam_width == 1:
        return keras_hub.samplers.GreedySampler()
    return keras_hub.samplers.BeamSampler(num_beams=beam_width)


def translate(model, task, sentences, *, beam_width=1, batch_size=256):
    """Translates English sentences into Spanish.

    The decoder starts from `[START]` and adds one token at a time (the
    most likely one, or the best of `beam_width` beams) until `[END]` or
    the task's `sequence_length`; every step reruns the model on the source
    and the target so far.

    Args:
        model: a `transformer*` model trained on the task.
        task: the `spa_eng` task (tokenizers, sequence length, start/end).
        sentences: list of str, English.
        beam_width: int. 1 for greedy search. Defaults to `1`.
        batch_size: int. Sentences translated together. Defaults to `256`.

    Returns:
        list of str, Spanish (lowercase, WordPiece-detokenized).
    """
    if isinstance(sentences, str):
        sentences = [sentences]
    if not sentences:
        return []
    for sentence in sentences:
        if not isinstance(sentence, str) or not sentence.strip():
            raise ValueError(
                f"Invalid `sentences`: received {sentence!r}; expected "
                "English sentences with at least one word each."
            )
    sampler = make_sampler(beam_width)
    batch_size = validation.check_positive_int("batch_size", batch_size)
    source = task.encode_source(sentences)  # (B, L)
    search = _search_function(model, task, sampler, beam_width)
    translations = []
    for first in range(0, len(source), batch_size):
        chunk = source[first : first + batch_size]
        prompt = np.zeros((len(chunk), task.sequence_length + 1), np.int32)
        prompt[:, 0] = task.start_id
        output = search(tf.constant(chunk), tf.constant(prompt))
        translations.extend(task.decode_target(output.numpy()))
    return translations


def _search_function(model, task, sampler, beam_width):
    """Returns a compiled `(source, prompt) -> tokens` search."""

    @tf.function(reduce_retracing=True)
    def search(source, prompt):
        # Beam search repeats each sentence K times (row b * K + k is beam
        # k of sentence b), so the source is repeated the same way.
        source = ops.repeat(source, beam_width, axis=0)  # (B * K, L)

        def next_logits(target, cache, index):
            logits = model(
                {"encoder_inputs": source, "decoder_inputs": target[:, :-1]},
                training=False,
            )  # (B * K, L, N)
            return logits[:, index - 1, :], None, cache

        return sampler(
            next_logits, prompt, index=1, stop_token_ids=[task.end_id]
        )  # (B, L + 1)

    return search


def bleu(references, translations):
    """Corpus BLEU (0 to 1) of translations against one reference each.

    keras-hub's `Bleu` metric, with its default tokenizer (SacreBLEU's
    13a) on lowercased text, up to 4-grams, not smoothed.

    Args:
        references: list of str.
        translations: list of str, the same length.

    Returns:
        float.
    """
    if len(references) != len(translations):
        raise ValueError(
            f"Invalid `translations`: received {len(translations)} for "
            f"{len(references)} references; expected one per reference."
        )
    metric = keras_hub.metrics.Bleu()
    metric.update_state(
        [[reference.lower()] for reference in references], translations
    )
    return float(metric.result())


def evaluate_bleu(model, task, split="test", *, limit=None, beam_width=1):
    """Translates a split's English sentences and scores them with BLEU.

    Args:
        model: a trained `transformer*` model.
        task: the `spa_eng` task.
        split: str. `"validation"` or `"test"`.
        limit: optional int. Only the first `limit` pairs of the split.
        beam_width: int. Defaults to `1` (greedy).

    Returns:
        `(score, rows)`: corpus BLEU in [0, 1] and one
        `{"english", "reference", "translation"}` dict per pair.
    """
    pairs = task.pairs[split][:limit] if limit else task.pairs[split]
    english = [pair[0] for pair in pairs]
    references = [pair[1] for pair in pairs]
    translations = translate(model, task, english, beam_width=beam_width)
    rows = [
        {"english": e, "reference": r, "translation": t}
        for e, r, t in zip(english, references, translations)
    ]
    return bleu(references, translations), rows


def translate_run(run_dir, sentences, *, beam_width=1, which="best"):
    """Loads a translation run and translates `sentences`.

    Returns:
        list of str.
    """
    task, model = _load_translation_run(run_dir, which)
    return translate(model, task, sentences, beam_width=beam_width)


def bleu_run(run_dir, *, split="test", limit=None, beam_width=1, which="best"):
    """Scores a translation run with BLEU and writes `eval/bleu-<split>.json`.

    Returns:
        `(score, rows, path)`: BLEU in [0, 1], the translated pairs, and
        the path of the JSON file (score, settings and every translation).
    """
    from zoo.inference import evaluation
    from zoo.training import run_files

    run_files.check_writable_directory(
        "run_dir", pathlib.Path(run_dir) / evaluation.EVAL_DIR
    )
    task, model = _load_translation_run(run_dir, which)
    validation.check_choice("split", split, ("validation", "test"))
    if limit is not None:
        limit = validation.check_positive_int("limit", limit)
    score, rows = evaluate_bleu(
        model, task, split, limit=limit, beam_width=beam_width
    )
    out = pathlib.Path(run_dir) / evaluation.EVAL_DIR
    out.mkdir(exist_ok=True)
    path = out / f"bleu-{split}-beam{beam_width}.json"
    run_files.write_json(
        path,
        {
            "split": split,
            "checkpoint": which,
            "beam_width": beam_width,
            "num_pairs": len(rows),
            "bleu": score,
            "rows": rows,
        },
    )
    return score, rows, path


def _load_translation_run(run_dir, which):
    from zoo.training import checkpointing

    task, model = checkpointing.load_run(run_dir, which)
    if task.spec.structure != "sequence_to_sequence":
        raise ValueError(
            f"Invalid `run_dir`: {str(run_dir)!r} is a run on task "
            f"{task.name!r}, which is not a translation task; expected a run "
            "on e.g. spa_eng."
        )
    return task, model
