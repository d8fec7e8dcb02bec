"""English-to-Spanish translation on the Tatoeba pairs (manythings.org).

Legend: B = batch size, L = sequence length, N = vocabulary size.
"""

import os
import pathlib

import keras_hub
import numpy as np
import tensorflow as tf

from ntm_keras import validation
from tasks.language import data_directory
from tasks.language.token_task import TokenTask
from tasks.registry import register
from tasks.task import TaskSpec

FOLDER = "spa_eng"
FILE = "spa-eng/spa.txt"
HOW_TO_GET = (
    "Download http://storage.googleapis.com/download.tensorflow.org/data/"
    "spa-eng.zip (from www.manythings.org/anki, Tatoeba, CC BY 2.0) and "
    "unzip it into the spa_eng folder."
)
# Token ids 0-3; padding must be 0, as the zoo's models mask id 0.
RESERVED_TOKENS = ("[PAD]", "[UNK]", "[START]", "[END]")
PAD, UNK, START, END = range(4)
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)
SPLITS = ("train", "validation", "test")
# Where vocabularies go when the data directory is read-only.
FALLBACK_CACHE_DIR = "~/.cache/ntm_keras/spa_eng"


def read_pairs(path):
    """Returns the `(english, spanish)` pairs of a tab-separated file."""
    pairs = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 2:
                raise ValueError(
                    f"Invalid line {number} of {path}: received {line!r}; "
                    "expected 'English<TAB>Spanish'."
                )
            pairs.append((fields[0], fields[1]))
    return pairs


def split_pairs(pairs, split_seed):
    """Shuffles the pairs with `split_seed` and cuts them 80/10/10.

    Returns:
        dict from split name to a list of pairs.
    """
    order = np.random.default_rng(split_seed).permutation(len(pairs))
    train_end = int(SPLIT_FRACTIONS[0] * len(pairs))
    validation_end = train_end + int(SPLIT_FRACTIONS[1] * len(pairs))
    shuffled = [pairs[i] for i in order]
    return {
        "train": shuffled[:train_end],
        "validation": shuffled[train_end:validation_end],
        "test": shuffled[validation_end:],
    }


def load_vocabulary(path, sentences, vocabulary_size):
    """Reads a cached WordPiece vocabulary, or trains and caches one.

    Args:
        path: pathlib.Path of the cache file (one token per line).
        sentences: list of str, the training sentences of one language.
        vocabulary_size: int. The most tokens to keep.

    Returns:
        list of str, starting with `RESERVED_TOKENS`.
    """
    if path.is_file():
        return path.read_text(encoding="utf-8").split("\n")
    vocabulary = keras_hub.tokenizers.compute_word_piece_vocabulary(
        tf.data.Dataset.from_tensor_slices(sentences).batch(1000),
        vocabulary_size=vocabulary_size,
        lowercase=True,
        reserved_tokens=list(RESERVED_TOKENS),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_text("\n".join(vocabulary), encoding="utf-8")
    os.replace(temporary, path)
    return vocabulary


@register("spa_eng")
class SpaEng(TokenTask):
    """Translate English sentences into Spanish (Tatoeba pairs).

    The 118,964 tab-separated pairs of `spa_eng/spa-eng/spa.txt` are
    shuffled with `split_seed` and cut 80/10/10 into train, validation and
    test. Each language gets a lowercasing WordPiece vocabulary of at most
    `vocabulary_size` tokens, trained with keras-hub on the training split
    only and cached as `vocabulary-<en|es>-<size>-split<seed>.txt` in the
    data set's folder (`~/.cache/ntm_keras/spa_eng` if that folder is
    read-only, or `cache_dir`). The encoder reads the English ids;
    the decoder reads `[START]` and the Spanish ids, and must predict the
    Spanish ids followed by `[END]` (teacher forcing). Both are cut or
    padded (id 0) to `sequence_length`; padding is not scored. Test BLEU
    comes from `ntm-keras translate --bleu` (see `zoo/translation.py`).

    One example with `sequence_length = 6`:

    ```
    encoder_inputs  go    away  .      [PAD]  [PAD]  [PAD]
    decoder_inputs  [START] vete  .    [PAD]  [PAD]  [PAD]
    target          vete  .     [END]  [PAD]  [PAD]  [PAD]
    mask            1     1     1      0      0      0
    ```

    Args:
        sequence_length: int. Tokens per side. Defaults to `20`.
        vocabulary_size: int. WordPiece tokens per language. Defaults to
            `8000`.
        data_dir: str or None. Directory holding `spa_eng/spa-eng/spa.txt`;
            None reads `NTM_KERAS_DATA`.
        cache_dir: str or None. Where the vocabularies are cached. Defaults
            to the data set's folder, or `~/.cache/ntm_keras/spa_eng` where
            that folder is read-only.
        split_seed: int. Seed of the 80/10/10 split. Defaults to `0`.
        seed: int. Seed of the training batches. Defaults to `0`.
        eval_size: int. At most this many pairs per held-out split in
            `dataset` (BLEU uses the whole split). Defaults to `1024`.

    Splits: `train` (endless, pairs drawn at random), `validation`, `test`.
    """

    def __init__(
        self,
        *,
        sequence_length=20,
        vocabulary_size=8000,
        data_dir=None,
        cache_dir=None,
        split_seed=0,
        seed=0,
        eval_size=1024,
    ):
        super().__init__(seed=seed, eval_size=eval_size)
        self.sequence_length = validation.check_int(
            "sequence_length", sequence_length, minimum=2
        )
        self.vocabulary_size = validation.check_int(
            "vocabulary_size", vocabulary_size, minimum=len(RESERVED_TOKENS) + 1
        )
        self.split_seed = validation.check_int(
            "split_seed", split_seed, minimum=0
        )
        path = data_directory.find_file(
            "spa_eng", data_dir, FOLDER, FILE, HOW_TO_GET
        )
        root = data_directory.data_root(data_dir)
        self.data_dir = str(root)
        if cache_dir is None:
            cache_dir = path.parent.parent  # spa_eng/ (holding spa-eng/)
            if not _writable(cache_dir):
                cache_dir = FALLBACK_CACHE_DIR
        self.cache_dir = str(pathlib.Path(cache_dir).expanduser().resolve())
        self.set_pairs(split_pairs(read_pairs(path), self.split_seed))

    def set_pairs(self, pairs):
        """Trains (or reads) the vocabularies and tokenizes every split.

        Args:
            pairs: dict from split name to a list of `(english, spanish)`.
        """
        self.pairs = {split: list(pairs[split]) for split in SPLITS}
        self.tokenizers = {}
        for side, language in ((0, "en"), (1, "es")):
            sentences = [pair[side] for pair in self.pairs["train"]]
            name = (
                f"vocabulary-{language}-{self.vocabulary_size}-"
                f"split{self.split_seed}.txt"
            )
            vocabulary = load_vocabulary(
                pathlib.Path(self.cache_dir) / name,
                sentences,
                self.vocabulary_size,
            )
            self.tokenizers[language] = keras_hub.tokenizers.WordPieceTokenizer(
                vocabulary=vocabulary, lowercase=True, oov_token="[UNK]"
            )
        self.spec = TaskSpec(
            modality="tokens",
            input_dim=self.tokenizers["en"].vocabulary_size(),
            output_dim=self.tokenizers["es"].vocabulary_size(),
            structure="sequence_to_sequence",
        )
        # One tokenizer pass over every split (each pass traces a graph).
        every = [pair for split in SPLITS for pair in self.pairs[split]]
        arrays = self._encode(every)
        self._arrays, first = {}, 0
        for split in SPLITS:
            last = first + len(self.pairs[split])
            self._arrays[split] = {
                key: value[first:last] for key, value in arrays.items()
            }
            first = last
        self._train = {
            key: tf.constant(value)
            for key, value in self._arrays["train"].items()
        }

    start_id = START
    end_id = END

    # -- Text <-> ids ------------------------------------------------------

    def encode_source(self, sentences, argument="sentences"):
        """Returns `(B, L)` int32 English ids, cut or padded with 0."""
        if isinstance(sentences, str) or not all(
            isinstance(s, str) for s in sentences
        ):
            raise TypeError(
                f"Invalid `{argument}`: received {sentences!r}; expected a "
                "list of strings."
            )
        return self._ids("en", sentences, self.sequence_length)

    def _ids(self, language, sentences, width, *, prefix=(), suffix=()):
        """Tokenizes, adds `prefix`/`suffix` ids, cuts or pads to `width`."""
        tokenizer = self.tokenizers[language]

        def to_ids(batch):
            ragged = tf.cast(tokenizer(batch), tf.int32)  # (B, None)
            rows = tf.shape(batch)[0]
            parts = [tf.fill([rows, 1], i) for i in prefix]
            parts += [ragged] + [tf.fill([rows, 1], i) for i in suffix]
            ids = tf.concat(parts, axis=1)
            return ids.to_tensor(default_value=PAD, shape=[None, width])

        # In tf.data the tokenizer runs as a graph and returns tensors.
        batches = (
            tf.data.Dataset.from_tensor_slices(
                tf.constant(list(sentences), tf.string)
            )
            .batch(4096)
            .map(to_ids)
        )
        arrays = [batch.numpy() for batch in batches]
        if not arrays:
            return np.zeros((0, width), np.int32)
        return np.concatenate(arrays, axis=0)

    def _encode(self, pairs):
        """Tokenizes pairs into encoder/decoder inputs and targets."""
        english = self.encode_source([pair[0] for pair in pairs])
        spanish = self._ids(
            "es",
            [pair[1] for pair in pairs],
            self.sequence_length + 1,
            prefix=(START,),
            suffix=(END,),
        )  # (B, L + 1): [START] ids [END], cut to L + 1
        return {
            "encoder_inputs": english,
            "decoder_inputs": spanish[:, :-1],
            "targets": spanish[:, 1:],
        }

    def decode_target(self, ids):
        """Returns the Spanish text of each row of ids.

        Reads from after `[START]` (if present) up to the first `[END]`,
        skipping padding.
        """
        texts = []
        for row in np.asarray(ids):
            row = [int(i) for i in row]
            if row and row[0] == START:
                row = row[1:]
            if END in row:
                row = row[: row.index(END)]
            row = [i for i in row if i != PAD]
            text = self.tokenizers["es"].detokenize([row])
            texts.append(_as_text(text))
        return texts

    def token_strings(self, ids, language):
        """Returns the WordPiece token of each id, e.g. `['ve', '##te']`."""
        tokenizer = self.tokenizers[language]
        return [tokenizer.id_to_token(int(i)) for i in np.asarray(ids)]

    # -- Data --------------------------------------------------------------

    def make_batch(self, split, batch_size, seed):
        # Training only: pairs drawn at random; held-out splits are fixed.
        size = tf.shape(self._train["targets"])[0]
        indices = tf.random.stateless_uniform(
            [batch_size], seed, minval=0, maxval=size, dtype=tf.int32
        )  # (B,)
        batch = {
            key: tf.gather(value, indices) for key, value in self._train.items()
        }
        targets = batch.pop("targets")  # (B, L)
        return batch, targets, tf.cast(targets != PAD, tf.float32)

    def held_out(self, split):
        arrays = {
            key: value[: self.eval_size]
            for key, value in self._arrays[split].items()
        }
        targets = arrays.pop("targets")
        return arrays, targets, (targets != PAD).astype(np.float32)

    def attention_example(self):
        """Returns the first validation pair, unpadded, and its tokens.

        Returns:
            `(inputs, labels)`: `{"encoder_inputs": (1, S), "decoder_inputs":
            (1, T)}` and `{"source": English tokens, "target": [START] and
            Spanish tokens}`.
        """
        arrays = self._arrays["validation"]
        source = arrays["encoder_inputs"][0]
        target = arrays["decoder_inputs"][0]
        source = source[source != PAD]
        target = target[target != PAD]
        inputs = {
            "encoder_inputs": source[None],
            "decoder_inputs": target[None],
        }
        labels = {
            "source": self.token_strings(source, "en"),
            "target": self.token_strings(target, "es"),
        }
        return inputs, labels

    def render(self, example):
        """Shows one `(inputs, targets, mask)` example as tokens."""
        inputs, targets, mask = example
        rows = [
            (
                "encoder_inputs",
                self.token_strings(inputs["encoder_inputs"], "en"),
            ),
            (
                "decoder_inputs",
                self.token_strings(inputs["decoder_inputs"], "es"),
            ),
            ("target", self.token_strings(targets, "es")),
            ("mask", ["1" if m else "0" for m in np.asarray(mask)]),
        ]
        return "\n".join(
            f"{name:<15} " + " ".join(tokens) for name, tokens in rows
        )


def _as_text(value):
    """A detokenized scalar (tensor, bytes or str) as str."""
    if hasattr(value, "numpy"):
        value = value.numpy()
    value = np.asarray(value).reshape(-1)[0] if np.ndim(value) else value
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    return str(value)


def _writable(directory):
    """Whether `directory` may be written: it allows it, and no write bit
    is off for everyone (a folder marked read-only stays so, even for
    root, whom `os.access` lets write anywhere)."""
    return os.access(directory, os.W_OK) and bool(
        directory.stat().st_mode & 0o222
    )
