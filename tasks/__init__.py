"""Tasks: seeded `tf.data` pipelines with their losses and metrics.

import tasks
task = tasks.get("copy", max_length=20)
dataset = task.dataset("train", batch_size=32)
"""

from tasks import (  # noqa: E402, F401  (registers the tasks)
    algorithmic,
    language,
)
from tasks.registry import get, list_tasks, options, register
from tasks.task import Task, TaskSpec

list = list_tasks  # noqa: A001  (the registry's public name)

__all__ = ["Task", "TaskSpec", "get", "list", "options", "register"]
