"""Reading the bAbI text format (Weston et al. 2015) into stories.

One line per sentence, `ID text`; a question line is
`ID question<TAB>answer<TAB>supporting fact IDs`. The IDs count up by one
within a story and go back to 1 where a new story starts. Answers of tasks 8
and 19 are comma-separated word lists (`n,w`). Parsing is kept apart from
finding or downloading the files (`babi_builder.py`) and from the task
(`babi.py`).
"""

import dataclasses
import re

# The 20 tasks of the v1.2 release, by number; the file of task N is
# `qa{N}_{name}_{train|test}.txt`.
TASK_NAMES = (
    "single-supporting-fact",
    "two-supporting-facts",
    "three-supporting-facts",
    "two-arg-relations",
    "three-arg-relations",
    "yes-no-questions",
    "counting",
    "lists-sets",
    "simple-negation",
    "indefinite-knowledge",
    "basic-coreference",
    "conjunction",
    "compound-coreference",
    "time-reasoning",
    "basic-deduction",
    "basic-induction",
    "positional-reasoning",
    "size-reasoning",
    "path-finding",
    "agents-motivations",
)
NUM_TASKS = len(TASK_NAMES)

# A word is a run of letters and digits; every other visible character
# (`.`, `?`, `,`, `'`) is a token of its own.
_TOKEN = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")


@dataclasses.dataclass(frozen=True)
class Question:
    """One question of a story.

    Attributes:
        position: int. How many statements of the story come before it.
        text: str. The question as written.
        answers: tuple of str. The answer words (several for tasks 8, 19).
        supporting: tuple of int. IDs of the supporting facts.
        line: int. Line number of the question in its file (1-based).
    """

    position: int
    text: str
    answers: tuple
    supporting: tuple
    line: int


@dataclasses.dataclass(frozen=True)
class Story:
    """The statements of one story and the questions asked along it.

    Attributes:
        statements: tuple of str. The non-question sentences, in order.
        questions: tuple of `Question`.
        line: int. Line number of the story's first line (1-based).
    """

    statements: tuple
    questions: tuple
    line: int


def task_file_name(task_number, split):
    """Returns e.g. `qa1_single-supporting-fact_train.txt`."""
    return f"qa{task_number}_{TASK_NAMES[task_number - 1]}_{split}.txt"


def tokenize(text):
    """Returns the lowercased words and punctuation marks of `text`.

    >>> tokenize("Where is Mary? ")
    ['where', 'is', 'mary', '?']
    """
    return _TOKEN.findall(text.lower())


def answer_words(answer):
    """Returns the lowercased words of an answer field (`"n,w"` -> 2)."""
    return tuple(word.strip().lower() for word in answer.split(","))


def parse_lines(lines, source="<text>"):
    """Parses bAbI lines into stories.

    Args:
        lines: iterable of str, one line of the file each.
        source: str. The file's name, for error messages.

    Returns:
        list of `Story`.

    Raises:
        ValueError: naming `source` and the line for a line without an ID,
            an ID that does not go up by one within a story, a question
            before any statement, a question without a tab-separated
            answer, or an empty answer.
    """
    stories = []
    statements, questions, ids = [], [], []
    first_line = None

    def close_story():
        if first_line is not None:
            stories.append(
                Story(tuple(statements), tuple(questions), first_line)
            )

    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        where = f"{source}, line {number}"
        head, _, rest = line.partition(" ")
        if not head.isdigit() or not rest.strip():
            raise ValueError(
                f"Invalid bAbI line ({where}): received {line!r}; expected "
                "'ID text' with a positive integer ID."
            )
        sentence_id = int(head)
        if sentence_id == 1:
            close_story()
            statements, questions, ids = [], [], []
            first_line = number
        elif first_line is None or sentence_id != ids[-1] + 1:
            previous = "none" if first_line is None else ids[-1]
            raise ValueError(
                f"Invalid bAbI line ({where}): ID {sentence_id} after ID "
                f"{previous}; expected IDs that go up by one within a story "
                "and start again at 1 for a new story."
            )
        ids.append(sentence_id)
        if "\t" not in rest:
            if rest.rstrip().endswith("?"):
                raise ValueError(
                    f"Invalid bAbI line ({where}): the question {rest!r} has "
                    "no answer; expected 'ID question<TAB>answer<TAB>"
                    "supporting fact IDs'."
                )
            statements.append(rest.strip())
            continue
        fields = rest.split("\t")
        if len(fields) < 2 or not fields[1].strip():
            raise ValueError(
                f"Invalid bAbI line ({where}): received {line!r}; expected "
                "'ID question<TAB>answer<TAB>supporting fact IDs' with a "
                "non-empty answer."
            )
        if not statements:
            raise ValueError(
                f"Invalid bAbI line ({where}): the question "
                f"{fields[0].strip()!r} has no story before it; expected at "
                "least one statement first."
            )
        supporting = fields[2].split() if len(fields) > 2 else []
        if not all(part.isdigit() for part in supporting):
            raise ValueError(
                f"Invalid bAbI line ({where}): supporting fact IDs "
                f"{fields[2]!r}; expected integers separated by spaces."
            )
        questions.append(
            Question(
                position=len(statements),
                text=fields[0].strip(),
                answers=answer_words(fields[1]),
                supporting=tuple(int(part) for part in supporting),
                line=number,
            )
        )
    close_story()
    return stories


def read_stories(path):
    """Parses a bAbI file; errors name the file and the line.

    Raises:
        ValueError: for a missing file or a malformed line.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            return parse_lines(handle, source=str(path))
    except FileNotFoundError:
        raise ValueError(
            f"The bAbI file {path} does not exist; expected one of the "
            "files of the tasks_1-20_v1-2 release (see `tasks/language/"
            "babi.py` for how to get them)."
        ) from None
