"""The task registry: `tasks.get(name, **options)` and `tasks.list()`."""

import fnmatch

from ntm_keras import validation

_TASKS = {}


def register(name):
    """Class decorator that adds a `Task` subclass to the registry.

    Args:
        name: str. The name `tasks.get` takes, lowercase with underscores.

    Raises:
        ValueError: if the name is already taken.
    """

    def decorator(cls):
        if name in _TASKS:
            raise ValueError(
                f"Task name {name!r} is registered twice: by "
                f"{_TASKS[name].__qualname__} and {cls.__qualname__}."
            )
        cls.name = name
        _TASKS[name] = cls
        return cls

    return decorator


def task_class(name):
    """Returns the registered class for `name`, or raises `ValueError`."""
    if name not in _TASKS:
        raise ValueError(
            f"Unknown task {name!r}; available tasks are {list_tasks()}."
            f"{validation.did_you_mean(name, _TASKS)}"
        )
    return _TASKS[name]


def options(name):
    """Returns `{option: default}` for the task `name`."""
    return validation.keyword_defaults(task_class(name).__init__)


def get(name, **overrides):
    """Returns a new task.

    Args:
        name: str. A name from `tasks.list()`.
        **overrides: task options (see `tasks.options(name)`); strings are
            parsed into the option's type, so command-line values work.

    Returns:
        A `tasks.Task`.

    Raises:
        ValueError: for an unknown task or option, or a value out of range.
        TypeError: for a value of the wrong type.

    Example:

    >>> task = get("copy", max_length=5)
    >>> task.spec.input_dim
    9
    """
    cls = task_class(name)
    parsed = validation.check_overrides(
        f"task {name!r}", overrides, options(name)
    )
    return cls(**parsed)


def list_tasks(pattern="*"):
    """Returns the sorted task names matching the shell pattern `pattern`."""
    return sorted(n for n in _TASKS if fnmatch.fnmatchcase(n, pattern))
