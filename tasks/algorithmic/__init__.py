"""Algorithmic tasks of the NTM paper, generated in-graph and seeded."""

from tasks.algorithmic.associative_recall import AssociativeRecall
from tasks.algorithmic.copy import Copy
from tasks.algorithmic.ngrams import NGrams
from tasks.algorithmic.priority_sort import PrioritySort
from tasks.algorithmic.repeat_copy import RepeatCopy

__all__ = ["AssociativeRecall", "Copy", "NGrams", "PrioritySort", "RepeatCopy"]
