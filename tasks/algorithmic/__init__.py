"""Algorithmic tasks of the NTM paper, generated in-graph and seeded."""

from tasks.algorithmic.copy import Copy

__all__ = ["Copy"]
