"""Text generation with a trained language model and keras-hub samplers.

Legend: B = batch size, L = prompt plus generated length, T = context.
"""

import keras_hub
import numpy as np
import tensorflow as tf
from keras import ops

from ntm_keras import validation
from tasks.language.character_vocabulary import CharacterVocabulary


def make_sampler(temperature=1.0, top_k=None, seed=None):
    """Returns a keras-hub sampler: top-k if `top_k`, else random.

    Args:
        temperature: float > 0. Divides the logits: lower is more
            conservative.
        top_k: optional int. Sample among the `top_k` most likely tokens.
        seed: optional int, for reproducible samples.
    """
    temperature = validation.check_float("temperature", temperature)
    if temperature <= 0:
        raise ValueError(
            f"Invalid `temperature`: received {temperature}; expected a "
            "number > 0."
        )
    if top_k is None:
        return keras_hub.samplers.RandomSampler(
            temperature=temperature, seed=seed
        )
    top_k = validation.check_positive_int("top_k", top_k)
    return keras_hub.samplers.TopKSampler(
        k=top_k, temperature=temperature, seed=seed
    )


def sampling_function(model, context, prompt_length, sampler):
    """A compiled function that continues prompts of one length.

    Args:
        model: a causal model from token ids `(B, T)` to logits `(B, T, N)`.
        context: int. The window the model sees.
        prompt_length: int. Tokens of the prompt.
        sampler: a `keras_hub.samplers.Sampler`.

    Returns:
        A `tf.function` from `(tokens, known)`, `(B, L)` ids and bools (True
        at the prompt), to the `(B, L)` ids with the rest sampled. It traces
        once per `L`; keep it to sample again without tracing (the model's
        weights are read as variables, so later training shows).
    """

    @tf.function
    def sample(tokens, known):
        def next_logits(prompt_ids, cache, index):
            # The window of `context` tokens that ends just before `index`.
            start = ops.clip(
                index - context, 0, ops.shape(prompt_ids)[1] - context
            )
            window = ops.slice(
                prompt_ids, (0, start), (ops.shape(prompt_ids)[0], context)
            )  # (B, T)
            logits = model(window, training=False)  # (B, T, N)
            return logits[:, index - 1 - start, :], None, cache

        return sampler(next_logits, tokens, index=prompt_length, mask=known)

    return sample


def generate(model, task, prompt, length, sampler=None, function=None):
    """Continues `prompt` by `length` tokens with a causal language model.

    The model sees at most the task's `context_length` last tokens: each new
    token is predicted from a window that slides along the text, so the
    output can be longer than the context the model was trained on.

    Args:
        model: a causal model from token ids `(B, T)` to logits `(B, T, N)`.
        task: the language task, or a `CharacterVocabulary` (its `encode`,
            `decode`, `context_length`).
        prompt: str. At least one character of the task's vocabulary.
        length: int. Tokens to generate.
        sampler: a `keras_hub.samplers.Sampler`. Defaults to random
            sampling at temperature 1.
        function: optional, a `sampling_function` made before for this
            model, sampler and prompt length, to skip tracing.

    Returns:
        str. The prompt followed by the generated text.
    """
    if not isinstance(prompt, str) or not prompt:
        raise ValueError(
            f"Invalid `prompt`: received {prompt!r}; expected a non-empty "
            "string."
        )
    ids = task.encode(prompt, argument="prompt")
    length = validation.check_positive_int("length", length)
    sampler = sampler or make_sampler()
    context = task.context_length
    total = len(ids) + length
    # At least one context of room, so the window below always fits; the
    # padding after the generated text is never seen (the model is causal).
    tokens = np.zeros((1, max(total, context)), np.int32)
    tokens[0, : len(ids)] = ids
    known = np.zeros_like(tokens, dtype=bool)
    known[0, : len(ids)] = True
    if function is None:
        function = sampling_function(model, context, len(ids), sampler)
    output = function(tf.constant(tokens), tf.constant(known))
    return task.decode(output.numpy()[0, :total])


def preset_vocabulary(name, preset):
    """The `CharacterVocabulary` a language-model preset carries.

    Raises:
        ValueError: if the preset has no vocabulary (not a language model).
    """
    from zoo import preset_store

    info = preset_store.preset_info(name, preset)
    if "vocabulary" not in info:
        raise ValueError(
            f"Invalid `preset`: {preset!r} of model {name!r} carries no "
            "vocabulary; expected a language-model preset, e.g. "
            "transformer_lm's 'tiny_shakespeare'."
        )
    return CharacterVocabulary(
        info["vocabulary"], info["task"]["options"]["context_length"]
    )


def sample_preset(
    name,
    preset,
    prompt,
    length,
    *,
    temperature=1.0,
    top_k=None,
    seed=None,
):
    """Loads a language-model preset and continues `prompt`.

    Needs no data and no run directory: the preset's JSON holds the
    vocabulary and context length.

    Args:
        name: str. The zoo entry, e.g. `"transformer_lm"`.
        preset: str. Its preset, e.g. `"tiny_shakespeare"`.
        prompt: str. Characters of the preset's vocabulary.
        length: int. Tokens to generate.
        temperature: float. Defaults to `1.0`.
        top_k: optional int. Sample among the k most likely tokens.
        seed: optional int.

    Returns:
        str. The prompt and its continuation.
    """
    from zoo import registry

    sampler = make_sampler(temperature, top_k, seed)
    length = validation.check_positive_int("length", length)
    vocabulary = preset_vocabulary(name, preset)
    model = registry.get(name, preset=preset)
    return generate(model, vocabulary, prompt, length, sampler)


def sample_run(
    run_dir,
    prompt,
    length,
    *,
    temperature=1.0,
    top_k=None,
    seed=None,
    which="best",
):
    """Loads a language-model run and continues `prompt`.

    Args:
        run_dir: path. A run of a causal model on a language-modelling task.
        prompt: str. Characters of the task's vocabulary.
        length: int. Tokens to generate.
        temperature: float. Defaults to `1.0`.
        top_k: optional int. Sample among the k most likely tokens.
        seed: optional int.
        which: str. `"best"` or `"last"` checkpoint.

    Returns:
        str. The prompt and its continuation.
    """
    from zoo.training import checkpointing

    sampler = make_sampler(temperature, top_k, seed)
    length = validation.check_positive_int("length", length)
    task, model = checkpointing.load_run(run_dir, which)
    if not hasattr(task, "context_length"):
        raise ValueError(
            f"Invalid `run_dir`: {str(run_dir)!r} is a run on task "
            f"{task.name!r}, which is not a language-modelling task; expected "
            "a run on e.g. tiny_shakespeare."
        )
    return generate(model, task, prompt, length, sampler)
