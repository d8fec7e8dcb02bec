"""Language tasks read from the data directory (`--data-dir`)."""

from tasks.language import (  # noqa: F401  (registers)
    babi,
    spa_eng,
    tiny_shakespeare,
)
