"""The 20 bAbI question-answering tasks on the DNC paper's protocol.

Legend: B = batch size, T = steps, V = vocabulary size.
"""

import keras
import numpy as np
import tensorflow as tf

from ntm_keras import metrics as ntm_metrics
from ntm_keras import validation
from tasks.language import babi_format, babi_renaming
from tasks.language.token_task import TokenTask
from tasks.registry import register
from tasks.task import TaskSpec

# Token ids 0-2; padding must be 0, as the zoo's models may mask id 0. The
# answer marker "-" is the DNC paper's: the input on every answer step.
RESERVED_TOKENS = ("[PAD]", "[UNK]", "-")
PAD, UNK, ANSWER = range(3)
VALIDATION_FRACTION = 0.1
SIZES = ("1k", "10k")  # `babi_builder.SIZES`, without importing TFDS


@register("babi")
class Babi(TokenTask):
    """bAbI question answering (Weston et al. 2015), word by word.

    The protocol of the DNC paper ([Graves et al. 2016](
    https://www.nature.com/articles/nature20101), Methods, bAbI): the input
    is the story's words, then the question's words, then one answer step
    per answer word, on which the input is the marker `-` and the model must
    output the answer word. There is no task id in the input. Words are
    lowercased and punctuation marks are tokens of their own. One
    vocabulary, the words of the training files of all 20 tasks of the
    chosen size (sorted, after `[PAD]`, `[UNK]` and `-`), serves every
    subset of tasks, so a model trained on some tasks reads the others.
    Answers of tasks 8 and 19 have several words (`n,w` in the file), one
    answer step each.

    One example per question (not one per story, as in the paper): the
    input is the statements of the story before that question (earlier
    questions left out), then the question. Each question is then scored
    on its own, the per-task error is a plain mean over examples, and a
    question's count of examples matches the release (1,000 a file);
    the cost is that statements shared by several questions of a story are
    read once per question.

    Stories longer than `max_length` steps lose their oldest statements,
    whole, until story, question and answer steps fit (as memory networks
    keep the most recent sentences). The default, 1,500, holds every
    question of the release (the longest, in task 3, takes 1,357 steps), so
    nothing is cut unless a smaller limit is asked for.

    Splits: `train` (endless; questions drawn at random from the training
    stories), `validation` (10% of each task's training stories, chosen
    with `split_seed`), `test` (the official test files). Held-out splits
    are shuffled once with `split_seed`, so that `eval_size` takes questions
    of every task; `question_dataset` gives whole splits (for
    `tasks.language.babi_report.error_table`). Targets are `[PAD]` and the
    sample weight 0 except on the answer steps. Batches are padded with
    `[PAD]` (weight 0) to their longest example.

    The 10k release here may lack task 3's training file (it is large);
    then the 1k file stands in for it, and a line says so.

    One example of task 1 (`render`; the target row shows only the
    scored steps):

    ```
    input   tom went to the garden . where is tom ? -
    target                                          garden
    mask    0   0    0  0   0      0 0     0  0   0 1
    ```

    Args:
        tasks: tuple of int. Task numbers in 1-20; several train jointly.
            Defaults to `(1,)`.
        size: str. `"1k"` or `"10k"` training questions per task.
            Defaults to `"1k"`.
        max_length: int. The most steps of an example. Defaults to `1500`.
        data_dir: str or None. Directory holding `babi/en/` and
            `babi/en-10k/` (the archive's `tasks_1-20_v1-2/` also works);
            None reads `NTM_KERAS_DATA`. Not needed once TFDS has prepared
            the data in `tfds_dir`.
        tfds_dir: str or None. TFDS' writable cache. Defaults to TFDS'
            default (`TFDS_DATA_DIR` or `~/tensorflow_datasets`).
        download: bool. Download the official archive when the files are
            not in `data_dir`. Defaults to `False`.
        split_seed: int. Seed of the validation split and the order of the
            held-out questions. Defaults to `0`.
        seed: int. Seed of the training batches. Defaults to `0`.
        eval_size: int. At most this many questions per held-out split in
            `dataset`. Defaults to `1024`.
        rename_entities: bool. Rename the people (within gender), places
            and objects of every training example at random, answers
            alike (`tasks.language.babi_renaming`): new stories instead of
            ones a model can learn by heart. Not the paper's protocol;
            held-out splits are never renamed. Defaults to `False`.

    Example:

    >>> task = Babi(tasks=(1, 2), data_dir="../shared/data")  # doctest: +SKIP
    >>> print(task.render(task.held_out_example("test", 0)))  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        tasks=(1,),
        size="1k",
        max_length=1500,
        data_dir=None,
        tfds_dir=None,
        download=False,
        split_seed=0,
        seed=0,
        eval_size=1024,
        rename_entities=False,
    ):
        super().__init__(seed=seed, eval_size=eval_size)
        self.rename_entities = validation.check_bool(
            "rename_entities", rename_entities
        )
        self.tasks = check_task_numbers(tasks)
        self.size = validation.check_choice("size", size, SIZES)
        self.max_length = validation.check_int(
            "max_length", max_length, minimum=2
        )
        self.split_seed = validation.check_int(
            "split_seed", split_seed, minimum=0
        )
        validation.check_bool("download", download)
        self.download = download
        self.data_dir = None if data_dir is None else str(data_dir)
        self.tfds_dir = tfds_dir
        # Imported here: TFDS is slow to import and only this path needs it.
        from tasks.language import babi_builder

        stories, sources = babi_builder.load_stories(
            self.size, data_dir, tfds_dir, download
        )
        self.fallbacks = tuple(
            number
            for number in self.tasks
            if self.size == "10k"
            and not sources["train"][number].startswith(
                babi_builder.SIZES["10k"]
            )
        )
        for number in self.fallbacks:
            print(
                babi_builder.fallback_message(
                    number, "train", sources["train"][number]
                )
            )
        self.set_stories(stories)

    # -- Data --------------------------------------------------------------

    def set_stories(self, stories):
        """Builds the vocabulary and the examples of every split.

        Args:
            stories: `{"train": {task_number: [Story]}, "test": {...}}`,
                with the training stories of all 20 tasks.
        """
        words = set()
        for task_stories in stories["train"].values():
            for story in task_stories:
                for sentence in story.statements:
                    words.update(babi_format.tokenize(sentence))
                for question in story.questions:
                    words.update(babi_format.tokenize(question.text))
                    words.update(question.answers)
        words -= set(RESERVED_TOKENS)
        self.vocabulary = list(RESERVED_TOKENS) + sorted(words)
        self._ids = {word: i for i, word in enumerate(self.vocabulary)}
        self.spec = TaskSpec(
            modality="tokens",
            input_dim=len(self.vocabulary),
            output_dim=len(self.vocabulary),
        )
        train, held_out = {}, {}
        for number in self.tasks:
            train[number], held_out[number] = split_stories(
                stories["train"][number], self.split_seed, number
            )
        self._examples = {
            "train": self._encode(train),
            "validation": self._encode(held_out),
            "test": self._encode(
                {number: stories["test"][number] for number in self.tasks}
            ),
        }
        for split in ("validation", "test"):
            order = np.random.default_rng(self.split_seed).permutation(
                len(self._examples[split]["task"])
            )
            self._examples[split] = _take(self._examples[split], order)
        train = self._examples["train"]
        if self.rename_entities:  # among the words the training stories use
            present = self.decode(np.unique(train["input_values"]))
            self._entity_groups = babi_renaming.entity_groups(
                self._ids, set(present)
            )
        self._train = {
            "inputs": tf.RaggedTensor.from_row_lengths(
                train["input_values"], train["lengths"]
            ),
            "targets": tf.RaggedTensor.from_row_lengths(
                train["target_values"], train["lengths"]
            ),
            "answer_lengths": tf.constant(train["answer_lengths"]),
        }

    def _encode(self, stories_by_task):
        """Turns stories into the examples of one split, as flat arrays."""
        inputs, targets = [], []
        tasks, answer_lengths, truncated = [], [], []
        for number, stories in stories_by_task.items():
            for story in stories:
                sentences = [
                    self.encode(babi_format.tokenize(s))
                    for s in story.statements
                ]
                for question in story.questions:
                    question_ids = self.encode(
                        babi_format.tokenize(question.text)
                    )
                    answer_ids = self.encode(question.answers)
                    story_ids, cut = self._recent_story(
                        sentences[: question.position],
                        len(question_ids) + len(answer_ids),
                    )
                    markers = np.full(len(answer_ids), ANSWER, np.int32)
                    row = np.concatenate([story_ids, question_ids, markers])
                    target = np.zeros_like(row)
                    target[len(row) - len(answer_ids) :] = answer_ids
                    inputs.append(row)
                    targets.append(target)
                    tasks.append(number)
                    answer_lengths.append(len(answer_ids))
                    truncated.append(cut)
        lengths = np.array([len(row) for row in inputs], np.int64)
        return {
            "input_values": _concatenate(inputs),
            "target_values": _concatenate(targets),
            "lengths": lengths,
            "answer_lengths": np.array(answer_lengths, np.int32),
            "task": np.array(tasks, np.int32),
            "truncated": np.array(truncated, bool),
        }

    def _recent_story(self, sentences, reserved):
        """The most recent whole sentences that fit with `reserved` steps.

        Returns:
            `(ids, cut)`: the story's ids and whether sentences were dropped.
        """
        room = self.max_length - reserved
        if room < 0:
            raise ValueError(
                f"Invalid `max_length`: received {self.max_length}, but a "
                f"question and its answer take {reserved} steps; expected "
                "a larger limit."
            )
        kept, used = [], 0
        for sentence in reversed(sentences):
            if used + len(sentence) > room:
                break
            kept.append(sentence)
            used += len(sentence)
        kept.reverse()
        return _concatenate(kept), len(kept) < len(sentences)

    # -- Text <-> ids ------------------------------------------------------

    def encode(self, words):
        """Returns the int32 ids of a list of words (`[UNK]` if unknown)."""
        return np.array([self._ids.get(w, UNK) for w in words], np.int32)

    def decode(self, ids):
        """Returns the words of a sequence of ids."""
        return [self.vocabulary[int(i)] for i in np.asarray(ids)]

    # -- Training interface ------------------------------------------------

    def metrics(self):
        return [
            keras.metrics.SparseCategoricalAccuracy(name="answer_accuracy"),
            ntm_metrics.QuestionErrorRate(),
        ]

    def make_batch(self, split, batch_size, seed):
        # Training only: the held-out splits are fixed, see `dataset`.
        size = tf.shape(self._train["answer_lengths"])[0]
        indices = tf.random.stateless_uniform(
            [batch_size], seed, minval=0, maxval=size, dtype=tf.int32
        )  # (B,)
        inputs = tf.gather(self._train["inputs"], indices)  # ragged (B, T)
        targets = tf.gather(self._train["targets"], indices)
        answer_lengths = tf.gather(self._train["answer_lengths"], indices)
        lengths = tf.cast(inputs.row_lengths(), tf.int32)  # (B,)
        # `to_tensor` loses the static batch size; XLA needs it to take the
        # gradient of a DNC's allocation sort (`take_along_axis`).
        inputs = tf.ensure_shape(
            tf.cast(inputs.to_tensor(PAD), tf.int32), [batch_size, None]
        )  # (B, T)
        targets = tf.ensure_shape(
            tf.cast(targets.to_tensor(PAD), tf.int32), [batch_size, None]
        )
        if self.rename_entities:
            table = babi_renaming.renaming_table(
                self._entity_groups,
                len(self.vocabulary),
                batch_size,
                tf.random.experimental.stateless_fold_in(seed, 1),
            )  # (B, V)
            inputs = tf.gather(table, inputs, batch_dims=1)
            targets = tf.gather(table, targets, batch_dims=1)
        return inputs, targets, answer_mask(lengths, answer_lengths, inputs)

    def held_out(self, split):
        """Returns the first `eval_size` examples of a held-out split.

        Returns:
            `(inputs, targets, sample_weight)` arrays, `(count, T)` each,
            padded to the longest of them.
        """
        count = min(self.eval_size, len(self._examples[split]["task"]))
        batches = list(self._held_out_dataset(split, count, max(count, 1)))
        inputs, targets, mask, _ = (part.numpy() for part in batches[0])
        return inputs, targets, mask

    def dataset(self, split="train", batch_size=32, *, seed=None, start=0):
        if split == "train":
            return super().dataset(split, batch_size, seed=seed, start=start)
        validation.check_choice("split", split, self.splits)
        batch_size = validation.check_positive_int("batch_size", batch_size)
        dataset = self._held_out_dataset(split, self.eval_size, batch_size)
        return dataset.map(lambda *batch: batch[:3]).prefetch(tf.data.AUTOTUNE)

    def question_dataset(self, split, batch_size=32):
        """Every question of a split, with its task number.

        Returns:
            A `tf.data.Dataset` of `(inputs, targets, sample_weight,
            task_numbers)`: `(B, T)` int32, `(B, T)` int32, `(B, T)`
            float32 and `(B,)` int32, each batch padded to its longest
            example, in the split's fixed order.
        """
        validation.check_choice("split", split, self.splits)
        if split == "train":
            examples = self._examples["train"]
            return self._batches(examples, batch_size)
        limit = len(self._examples[split]["task"])
        return self._held_out_dataset(split, limit, batch_size)

    def _held_out_dataset(self, split, limit, batch_size):
        examples = self._examples[split]
        count = min(limit, len(examples["task"]))
        if count < len(examples["task"]):
            examples = _take(examples, np.arange(count))
        return self._batches(examples, batch_size)

    def _batches(self, examples, batch_size):
        batch_size = validation.check_positive_int("batch_size", batch_size)

        def with_mask(inputs, targets, answer_length, task_number):
            steps = tf.range(tf.shape(inputs)[0])  # (T,)
            first = tf.shape(inputs)[0] - answer_length
            mask = tf.cast(steps >= first, tf.float32)
            return inputs, targets, mask, task_number

        rows = {
            key: tf.RaggedTensor.from_row_lengths(
                examples[f"{key}_values"], examples["lengths"]
            )
            for key in ("input", "target")
        }
        return (
            tf.data.Dataset.from_tensor_slices(
                (
                    rows["input"],
                    rows["target"],
                    examples["answer_lengths"],
                    examples["task"],
                )
            )
            .map(with_mask)
            .padded_batch(batch_size)
        )

    def counts(self):
        """Returns `{split: {task_number: questions}}`."""
        return {
            split: {
                number: int(np.sum(examples["task"] == number))
                for number in self.tasks
            }
            for split, examples in self._examples.items()
        }

    def held_out_example(self, split, index):
        """Returns one example `(inputs, targets, mask)` of a split, unpadded.

        Args:
            split: str. `"train"`, `"validation"` or `"test"`.
            index: int. Position in the split's fixed order.
        """
        validation.check_choice("split", split, self.splits)
        examples = self._examples[split]
        validation.check_int(
            "index", index, minimum=0, maximum=len(examples["task"]) - 1
        )
        start = int(np.sum(examples["lengths"][:index]))
        length = int(examples["lengths"][index])
        inputs = examples["input_values"][start : start + length]
        targets = examples["target_values"][start : start + length]
        mask = np.zeros(length, np.float32)
        mask[length - int(examples["answer_lengths"][index]) :] = 1.0
        return inputs, targets, mask

    def render(self, example, width=76):
        """Shows one `(inputs, targets, mask)` example as aligned words.

        Padding steps are left out; lines wrap at `width` characters.
        """
        inputs, targets, mask = (np.asarray(part) for part in example)
        keep = (inputs != PAD) | (mask > 0)
        columns = []
        for word, target, weight in zip(
            self.decode(inputs[keep]),
            self.decode(targets[keep]),
            mask[keep],
        ):
            shown = target if weight else ""
            column_width = max(len(word), len(shown))
            columns.append(
                (
                    word.ljust(column_width),
                    shown.ljust(column_width),
                    ("1" if weight else "0").ljust(column_width),
                )
            )
        blocks, line = [], []
        for column in columns:
            if line and sum(len(c[0]) + 1 for c in line) + len(column[0]) > (
                width - 8
            ):
                blocks.append(line)
                line = []
            line.append(column)
        blocks.append(line)
        text = []
        for block in blocks:
            for row, name in enumerate(("input", "target", "mask")):
                cells = " ".join(column[row] for column in block)
                text.append(f"{name:<7} {cells}".rstrip())
            text.append("")
        return "\n".join(text).rstrip("\n")


def check_task_numbers(tasks):
    """Returns `tasks` as a sorted tuple of ints in 1-20, or raises."""
    if isinstance(tasks, (int, np.integer)) and not isinstance(tasks, bool):
        tasks = (tasks,)
    if isinstance(tasks, str) or not isinstance(tasks, (tuple, list)):
        raise ValueError(
            f"Invalid `tasks`: received {tasks!r}; expected task numbers "
            f"from 1 to {babi_format.NUM_TASKS}, e.g. (1,) or (1, 2, 3)."
        )
    wrong = [
        t
        for t in tasks
        if isinstance(t, bool)
        or not isinstance(t, (int, np.integer))
        or not 1 <= t <= babi_format.NUM_TASKS
    ]
    if wrong or not tasks:
        raise ValueError(
            f"Invalid `tasks`: received {tuple(tasks)!r}; expected one or "
            f"more task numbers from 1 to {babi_format.NUM_TASKS} "
            f"(not {wrong!r}), e.g. (1,) or (1, 2, 3)."
        )
    return tuple(sorted({int(t) for t in tasks}))


def split_stories(stories, split_seed, task_number):
    """Holds out 10% of a task's stories, chosen with the seed.

    Returns:
        `(train, validation)` lists of stories, each in file order.
    """
    rng = np.random.default_rng([split_seed, task_number])
    count = int(round(VALIDATION_FRACTION * len(stories)))
    held = set(rng.permutation(len(stories))[:count].tolist())
    train = [s for i, s in enumerate(stories) if i not in held]
    validation_stories = [s for i, s in enumerate(stories) if i in held]
    return train, validation_stories


def answer_mask(lengths, answer_lengths, inputs):
    """The `(B, T)` float32 weights: 1 on each example's answer steps.

    Args:
        lengths: `(B,)` int32 steps of each example.
        answer_lengths: `(B,)` int32 answer words of each example.
        inputs: `(B, T)` padded ids, for T.
    """
    steps = tf.range(tf.shape(inputs)[1])[None, :]  # (1, T)
    first = (lengths - answer_lengths)[:, None]  # (B, 1)
    inside = (steps >= first) & (steps < lengths[:, None])
    return tf.cast(inside, tf.float32)


def _concatenate(rows):
    if not rows:
        return np.zeros((0,), np.int32)
    return np.concatenate(rows).astype(np.int32)


def _take(examples, order):
    """Reorders (or selects) the examples of a split."""
    lengths = examples["lengths"]
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    pieces = [(starts[i], lengths[i]) for i in np.asarray(order, np.int64)]
    result = {
        key: examples[key][order]
        for key in ("lengths", "answer_lengths", "task", "truncated")
    }
    for key in ("input_values", "target_values"):
        result[key] = _concatenate(
            [examples[key][start : start + n] for start, n in pieces]
        )
    return result
