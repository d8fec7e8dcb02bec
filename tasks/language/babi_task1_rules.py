"""Two hand-written readers of bAbI task 1 stories, for checks and baselines.

Task 1 statements read `<person> <verb> to the <place> .` (`went back to
the` included) and its questions `where is <person> ?`. `person_rule`
answers as a person would, with the last place of the person asked about;
`last_place_rule` answers with the last place mentioned, a shortcut that
is right whenever that person moved last (about half the questions).
"""

from tasks.language import babi


def _statements(words):
    """Yields `(person, place)` for each statement, in story order."""
    start = 0
    for i, word in enumerate(words):
        if word in (".", "?"):
            if word == "." and i >= 2 and words[i - 2] == "the":
                yield words[start], words[i - 1]
            start = i + 1


def _person_asked(words):
    for i, word in enumerate(words[:-2]):
        if word == "where":
            return words[i + 2]
    return None


def person_rule(words):
    """The last place of the person the question asks about, or `None`.

    Args:
        words: list of str. A task 1 input, story then question, as
            `Babi.decode` gives it.
    """
    places = dict(_statements(words))
    return places.get(_person_asked(words))


def last_place_rule(words):
    """The last place mentioned in the story, or `None`."""
    last = None
    for _, place in _statements(words):
        last = place
    return last


def task1_batches(task, split="test", batch_size=100):
    """Yields each batch of a split with its task 1 questions, decoded.

    Args:
        task: a `Babi` task that includes task 1.
        split: str. A split name.
        batch_size: int.

    Yields:
        `(inputs, questions)`: the `(B, T)` input ids of the batch, as the
        model reads them, and a list of `(row, words, answer, step)` for
        its task 1 questions: the row in the batch, the input's words
        (padding left out), the answer word and its answer step.
    """
    for inputs, targets, mask, numbers in task.question_dataset(
        split, batch_size
    ):
        questions = []
        rows = zip(inputs.numpy(), targets.numpy(), mask.numpy(), numbers)
        for row, (x, y, m, number) in enumerate(rows):
            if int(number) != 1:
                continue
            (step,) = m.nonzero()[0]  # task 1: one answer word
            words = task.decode([t for t in x if t != babi.PAD])
            questions.append((row, words, task.decode([y[step]])[0], step))
        yield inputs, questions
