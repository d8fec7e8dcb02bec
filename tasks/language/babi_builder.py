"""A TensorFlow Datasets builder for the bAbI tasks (v1.2, English).

The builder reads the 40 files of one training-set size (`en` = 1k,
`en-10k` = 10k) from TFDS' `manual_dir` when they are there (offline), and
downloads and extracts the official archive otherwise. Each example is one
story: its task number, the file it came from, its statements and its
questions. The prepared data set is cached in TFDS' `data_dir`, apart from
the data directory.
"""

import os
import pathlib
import warnings

import numpy as np
import tensorflow_datasets as tfds

from tasks.language import babi_format, data_directory

SIZES = {"1k": "en", "10k": "en-10k"}
ARCHIVE_URL = (
    "http://www.thespermwhale.com/jaseweston/babi/tasks_1-20_v1-2.tar.gz"
)
ARCHIVE_FOLDER = "tasks_1-20_v1-2"
HOW_TO_GET = (
    f"Download the official archive {ARCHIVE_URL} (Weston et al. 2015, "
    "CC BY 3.0; mirror: https://s3.amazonaws.com/text-datasets/"
    "babi_tasks_1-20_v1-2.tar.gz) and extract its `en/` and `en-10k/` "
    "folders into DIR/babi/, then pass --data-dir DIR (task option "
    f"data_dir) or set {data_directory.ENVIRONMENT_VARIABLE}=DIR."
)
SPLITS = ("train", "test")


def find_babi_root(data_dir):
    """Returns the folder that holds `en/` and `en-10k/`, or raises.

    Looks in `data_dir/babi`, `data_dir/babi/tasks_1-20_v1-2`,
    `data_dir/tasks_1-20_v1-2` and `data_dir` itself.

    Args:
        data_dir: str, path or None (None reads `NTM_KERAS_DATA`).

    Raises:
        MissingDataError: naming the directory and how to get the data.
    """
    root = data_directory.data_root(data_dir)
    if root is None:
        raise data_directory.MissingDataError(
            "Task 'babi' needs the bAbI files, but no data directory is set "
            f"(`data_dir`). {HOW_TO_GET}"
        )
    candidates = [
        root / "babi",
        root / "babi" / ARCHIVE_FOLDER,
        root / ARCHIVE_FOLDER,
        root,
    ]
    for candidate in candidates:
        if any((candidate / folder).is_dir() for folder in SIZES.values()):
            return candidate
    raise data_directory.MissingDataError(
        f"Invalid `data_dir`: no bAbI folder `en/` or `en-10k/` under "
        f"{candidates[0]} (nor {', '.join(map(str, candidates[1:]))}). "
        f"{HOW_TO_GET}"
    )


def task_files(root, size):
    """Returns the train and test file of every task, and the fallbacks.

    The 10k release's task 3 training file is large; where it is missing
    and the 1k one is there, the 1k file stands in for it.

    Args:
        root: path. The folder holding `en/` and `en-10k/`.
        size: str. `"1k"` or `"10k"`.

    Returns:
        `(files, fallbacks)`: `files` maps `(task_number, split)` to a path;
        `fallbacks` lists the `(task_number, split)` read from the 1k set in
        place of the 10k one.

    Raises:
        MissingDataError: naming the first missing file.
    """
    root = pathlib.Path(root)
    files, fallbacks = {}, []
    for number in range(1, babi_format.NUM_TASKS + 1):
        for split in SPLITS:
            name = babi_format.task_file_name(number, split)
            path = root / SIZES[size] / name
            if not path.is_file() and size == "10k":
                smaller = root / SIZES["1k"] / name
                if smaller.is_file():
                    fallbacks.append((number, split))
                    path = smaller
            if not path.is_file():
                raise data_directory.MissingDataError(
                    f"The bAbI task file {path} is missing (task {number}, "
                    f"{split}, {size}). {HOW_TO_GET}"
                )
            files[(number, split)] = path
    return files, fallbacks


class BabiConfig(tfds.core.BuilderConfig):
    """One training-set size: `en` (1k) or `en-10k` (10k)."""

    def __init__(self, *, size, **kwargs):
        super().__init__(name=SIZES[size], **kwargs)
        self.size = size


class BabiQa(tfds.core.GeneratorBasedBuilder):
    """The 20 bAbI question-answering tasks, one example per story."""

    VERSION = tfds.core.Version("1.2.0")
    RELEASE_NOTES = {"1.2.0": "tasks_1-20_v1-2, English."}
    BUILDER_CONFIGS = [
        BabiConfig(size="1k", description="1,000 training questions a task"),
        BabiConfig(size="10k", description="10,000 training questions a task"),
    ]
    MANUAL_DOWNLOAD_INSTRUCTIONS = HOW_TO_GET

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "task": tfds.features.Scalar(np.int32),
                    # The story's place in its file, to read them in order.
                    "index": tfds.features.Scalar(np.int32),
                    "source": tfds.features.Text(),
                    "statements": tfds.features.Sequence(tfds.features.Text()),
                    "questions": tfds.features.Sequence(
                        {
                            "text": tfds.features.Text(),
                            # Answer words joined by commas, as in the file.
                            "answer": tfds.features.Text(),
                            # Statements of the story before the question.
                            "position": tfds.features.Scalar(np.int32),
                        }
                    ),
                }
            ),
            homepage="https://research.facebook.com/downloads/babi/",
            citation="Weston et al. 2015, arXiv:1502.05698.",
        )

    def _split_generators(self, dl_manager):
        root = self._local_root(dl_manager)
        if root is None:
            extracted = dl_manager.download_and_extract(ARCHIVE_URL)
            root = pathlib.Path(os.fspath(extracted)) / ARCHIVE_FOLDER
        files, fallbacks = task_files(root, self.builder_config.size)
        for number, split in fallbacks:
            warnings.warn(
                fallback_message(number, split, files[(number, split)]),
                stacklevel=2,
            )
        return {
            split: self._generate_examples(
                root,
                {n: files[(n, split)] for n in range(1, 21)},
            )
            for split in SPLITS
        }

    def _local_root(self, dl_manager):
        """The manual directory's bAbI folder, or None to download."""
        try:
            manual = pathlib.Path(os.fspath(dl_manager.manual_dir))
        except (AssertionError, ValueError):
            return None
        try:
            return find_babi_root(manual)
        except data_directory.MissingDataError:
            return None

    def _generate_examples(self, root, files):
        for number, path in files.items():
            source = os.path.relpath(path, root)
            for index, story in enumerate(babi_format.read_stories(path)):
                yield (
                    f"{number}_{index}",
                    {
                        "task": number,
                        "index": index,
                        "source": source,
                        "statements": list(story.statements),
                        "questions": [
                            {
                                "text": question.text,
                                "answer": ",".join(question.answers),
                                "position": question.position,
                            }
                            for question in story.questions
                        ],
                    },
                )


def fallback_message(number, split, path):
    """The line that says a 10k file was replaced by its 1k version."""
    return (
        f"bAbI 10k: task {number} has no {split} file in en-10k/; using the "
        f"1k file {path} instead (1,000 questions instead of 10,000)."
    )


def load_stories(size, data_dir=None, tfds_dir=None, download=False):
    """Returns the stories of every task and split through `BabiQa`.

    Args:
        size: str. `"1k"` or `"10k"`.
        data_dir: path or None (`NTM_KERAS_DATA`). Holds `babi/en/` and
            `babi/en-10k/` (TFDS' `manual_dir`).
        tfds_dir: path or None. TFDS' cache (`data_dir` of TFDS).
        download: bool. Download the archive when the files are not in
            `data_dir` and the cache is empty.

    Returns:
        `(stories, sources)`: `stories[split][task_number]` is a list of
        `babi_format.Story` (lines not kept); `sources[split][task_number]`
        is the file each task was read from, relative to the bAbI folder.
    """
    if not download and data_directory.data_root(data_dir) is not None:
        # The directory the user names must hold the files even when TFDS'
        # cache is prepared, so that a wrong path never passes silently.
        task_files(find_babi_root(data_dir), size)
    builder = BabiQa(config=SIZES[size], data_dir=tfds_dir)
    if not builder.is_prepared():
        manual_dir = None
        if not download:
            manual_dir = os.fspath(find_babi_root(data_dir))
            task_files(manual_dir, size)  # a clear error before TFDS starts
        elif data_directory.data_root(data_dir) is not None:
            try:
                manual_dir = os.fspath(find_babi_root(data_dir))
            except data_directory.MissingDataError:
                manual_dir = None
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=manual_dir)
        )
    stories, sources = {}, {}
    for split in SPLITS:
        stories[split], sources[split] = {}, {}
        for example in tfds.as_numpy(builder.as_dataset(split=split)):
            number = int(example["task"])
            sources[split][number] = example["source"].decode("utf-8")
            questions = example["questions"]
            story = babi_format.Story(
                statements=tuple(
                    s.decode("utf-8") for s in example["statements"]
                ),
                questions=tuple(
                    babi_format.Question(
                        position=int(position),
                        text=text.decode("utf-8"),
                        answers=babi_format.answer_words(answer.decode()),
                        supporting=(),
                        line=0,
                    )
                    for text, answer, position in zip(
                        questions["text"],
                        questions["answer"],
                        questions["position"],
                    )
                ),
                line=0,
            )
            stories[split].setdefault(number, []).append(
                (int(example["index"]), story)
            )
        for number, indexed in stories[split].items():
            stories[split][number] = [story for _, story in sorted(indexed)]
    return stories, sources
