"""Character-level language modelling on Tiny Shakespeare.

Legend: B = batch size, T = context length (steps), N = vocabulary size.
"""

import hashlib
import os

import numpy as np
import tensorflow as tf

from ntm_keras import validation
from tasks.language import data_directory
from tasks.language.character_vocabulary import CharacterVocabulary
from tasks.language.token_task import TokenTask
from tasks.registry import register
from tasks.task import TaskSpec

FOLDER = "tiny_shakespeare"
FILE = "input.txt"
SOURCE = (
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/"
    "tinyshakespeare/input.txt"
)
HOW_TO_GET = (
    f"Download it from {SOURCE} (1,115,394 bytes, SHA-256 86c4e6aa...565ed, "
    "the file tensorflow-datasets checks)."
)
SPLITS = ("train", "validation", "test")
# The SHA-256 that TFDS' tiny_shakespeare builder registers for input.txt.
SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"


def check_input_file(path):
    """Raises `MissingDataError` naming `path` unless it is the real file.

    The file must be non-empty and have TFDS' registered SHA-256. Checking
    it ourselves gives the path and the fix instead of TFDS' checksum
    traceback, and it is what lets a prepared TFDS cache stand for the
    file: the cache can only have been made from a file with this checksum.
    """
    size = os.path.getsize(path)
    if size == 0:
        raise data_directory.MissingDataError(
            f"Invalid data file {path}: it is empty. {HOW_TO_GET}"
        )
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != SHA256:
        raise data_directory.MissingDataError(
            f"Invalid data file {path}: its SHA-256 is "
            f"{digest.hexdigest()[:8]}... ({size:,} bytes), not the "
            f"Tiny Shakespeare file's. {HOW_TO_GET}"
        )


def load_texts(data_dir=None, tfds_dir=None):
    """Returns `{split: text}` from tensorflow-datasets' own builder.

    The `tiny_shakespeare` builder splits the file 90/5/5 by characters. Its
    download is the file `input.txt` of the data directory (TFDS'
    `manual_dir`), so this works offline; without the file TFDS downloads it
    when online. The prepared data set is cached under `tfds_dir`, which must
    be writable and is kept apart from the data directory. When a data
    directory is set, its file is checked (present, non-empty, TFDS'
    checksum) even if the cache is prepared, so a wrong directory never
    trains on a cache silently.

    Args:
        data_dir: path or None (`NTM_KERAS_DATA`). Holds
            `tiny_shakespeare/input.txt`.
        tfds_dir: path or None. TFDS' `data_dir`; None uses TFDS' default
            (`TFDS_DATA_DIR` or `~/tensorflow_datasets`).

    Returns:
        dict from `"train"`, `"validation"`, `"test"` to str.
    """
    import tensorflow_datasets as tfds

    path = None
    if data_directory.data_root(data_dir) is not None:
        # The directory the user names is the one read: its file must be
        # there and intact even when TFDS' cache is prepared (the cache
        # holds exactly a file with the checksum checked here).
        path = data_directory.find_file(
            "tiny_shakespeare", data_dir, FOLDER, FILE, HOW_TO_GET
        )
        check_input_file(path)
    builder = tfds.builder("tiny_shakespeare", data_dir=tfds_dir)
    if not builder.is_prepared():
        if path is None:
            path = data_directory.find_file(
                "tiny_shakespeare", data_dir, FOLDER, FILE, HOW_TO_GET
            )
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(
                manual_dir=os.fspath(path.parent)
            )
        )
    texts = {}
    for split in SPLITS:
        (example,) = builder.as_dataset(split=split).take(1)
        texts[split] = example["text"].numpy().decode("utf-8")
    return texts


@register("tiny_shakespeare")
class TinyShakespeare(TokenTask):
    """Tiny Shakespeare: predict the next character of Shakespeare's plays.

    The text is split 90/5/5 (train, validation, test) by TFDS'
    `tiny_shakespeare` builder; the vocabulary is the training split's
    characters in sorted order (65 for the full file). A training example
    is a window of `context_length + 1` characters starting anywhere in the
    training text: the input is its first `context_length` characters, the
    target the same window shifted by one. Validation and test examples are
    consecutive non-overlapping windows from the start of their split. The
    loss is the cross-entropy in nats per character. See
    [Karpathy 2015](https://karpathy.github.io/2015/05/21/rnn-effectiveness/).

    One example with `context_length = 8` (every target step is scored):

    ```
    input   First Ci
    target  irst Cit
    mask    11111111
    ```

    Args:
        context_length: int. Characters per example. Defaults to `64`.
        data_dir: str or None. Directory holding `tiny_shakespeare/input.txt`;
            None reads `NTM_KERAS_DATA`. Not needed once TFDS has prepared
            the data set in `tfds_dir`.
        tfds_dir: str or None. TFDS' writable cache. Defaults to TFDS'
            default.
        seed: int. Seed of the training windows. Defaults to `0`.
        eval_size: int. At most this many windows per held-out split.
            Defaults to `1024` (the whole validation split at context 64).

    Splits: `train` (endless, random windows), `validation`, `test`.

    Example:

    >>> task = TinyShakespeare(data_dir="../shared/data")  # doctest: +SKIP
    >>> task.decode(task.encode("ROMEO:"))  # doctest: +SKIP
    'ROMEO:'
    """

    def __init__(
        self,
        *,
        context_length=64,
        data_dir=None,
        tfds_dir=None,
        seed=0,
        eval_size=1024,
    ):
        super().__init__(seed=seed, eval_size=eval_size)
        self.context_length = validation.check_positive_int(
            "context_length", context_length
        )
        root = data_directory.data_root(data_dir)
        self.data_dir = None if root is None else str(root)
        self.tfds_dir = tfds_dir
        self._set_texts(load_texts(self.data_dir, tfds_dir))

    def _set_texts(self, texts):
        """Builds the vocabulary and encodes every split."""
        self.characters = CharacterVocabulary(
            sorted(set(texts["train"])), self.context_length
        )
        self.vocabulary = self.characters.vocabulary
        self.spec = TaskSpec(
            modality="tokens",
            input_dim=len(self.vocabulary),
            output_dim=len(self.vocabulary),
        )
        self.texts = dict(texts)
        self._tokens = {
            split: self.encode(text, argument=f"{split} split")
            for split, text in texts.items()
        }
        if len(self._tokens["train"]) <= self.context_length + 1:
            raise ValueError(
                f"Invalid `context_length`: received {self.context_length}, "
                f"but the training text has {len(self._tokens['train'])} "
                "characters; expected a shorter context."
            )
        self._train = tf.constant(self._tokens["train"])

    # -- Text <-> ids ------------------------------------------------------

    def encode(self, text, argument="text"):
        """Returns the `(len(text),)` int32 ids of `text`.

        Raises:
            ValueError: naming `argument` and the characters outside the
                vocabulary.
        """
        return self.characters.encode(text, argument)

    def decode(self, ids):
        """Returns the text of a sequence of ids."""
        return self.characters.decode(ids)

    # -- Data --------------------------------------------------------------

    def make_batch(self, split, batch_size, seed):
        # Training only: held-out windows are fixed, see `dataset`.
        window = self.context_length + 1
        starts = tf.random.stateless_uniform(
            [batch_size],
            seed,
            minval=0,
            maxval=tf.shape(self._train)[0] - window + 1,
            dtype=tf.int32,
        )  # (B,)
        positions = starts[:, None] + tf.range(window)[None, :]  # (B, T + 1)
        windows = tf.gather(self._train, positions)
        inputs, targets = windows[:, :-1], windows[:, 1:]  # (B, T), (B, T)
        return inputs, targets, tf.ones_like(targets, tf.float32)

    def held_out_windows(self, split):
        """Returns `(inputs, targets)` arrays of the held-out windows."""
        tokens = self._tokens[split]
        count = min(self.eval_size, (len(tokens) - 1) // self.context_length)
        starts = np.arange(count) * self.context_length
        positions = starts[:, None] + np.arange(self.context_length + 1)
        windows = tokens[positions]  # (count, T + 1)
        return windows[:, :-1], windows[:, 1:]

    def held_out(self, split):
        inputs, targets = self.held_out_windows(split)
        return inputs, targets, np.ones(targets.shape, np.float32)

    def attention_example(self):
        """Returns the first validation window and its characters.

        Returns:
            `(inputs, labels)`: `(1, context_length)` ids and
            `{"source": chars, "target": chars}` for the attention maps.
        """
        inputs, _ = self.held_out_windows("validation")
        characters = list(self.decode(inputs[0]))
        return inputs[:1], {"source": characters, "target": characters}

    def render(self, example):
        """Shows one `(inputs, targets, mask)` example as text."""
        inputs, targets, mask = (np.asarray(part) for part in example)
        return "\n".join(
            [
                "input   " + self.decode(inputs).replace("\n", "⏎"),
                "target  " + self.decode(targets).replace("\n", "⏎"),
                "mask    " + "".join("1" if m else "0" for m in mask),
            ]
        )
