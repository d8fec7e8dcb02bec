"""Characters to ids and back: a character task's vocabulary."""

import numpy as np

from ntm_keras import validation


class CharacterVocabulary:
    """Encodes and decodes text with a fixed list of characters.

    What `generate` needs from a character task, without its data: a
    preset of a language model carries its vocabulary and context length,
    so it samples with no data directory.

    Args:
        vocabulary: sequence of str. The characters, by id.
        context_length: int. The window the model was trained on.

    Example:

    >>> vocabulary = CharacterVocabulary(["a", "b", "c"], 8)
    >>> vocabulary.encode("cab").tolist()
    [2, 0, 1]
    >>> vocabulary.decode([1, 2])
    'bc'
    """

    def __init__(self, vocabulary, context_length):
        self.vocabulary = list(vocabulary)
        self.context_length = validation.check_positive_int(
            "context_length", context_length
        )
        self._ids = {char: index for index, char in enumerate(self.vocabulary)}

    def encode(self, text, argument="text"):
        """Returns the int32 ids of `text`; `ValueError` for unknown ones."""
        unknown = sorted(set(text) - set(self._ids))
        if unknown:
            raise ValueError(
                f"Invalid `{argument}`: received characters {unknown} that "
                "are not in the vocabulary of the training text; expected "
                f"only these {len(self.vocabulary)} characters: "
                f"{''.join(self.vocabulary)!r}."
            )
        return np.array([self._ids[c] for c in text], dtype=np.int32)

    def decode(self, ids):
        """Returns the text of a sequence of ids."""
        return "".join(self.vocabulary[int(i)] for i in np.asarray(ids))
