"""Language tasks read from the data directory (`--data-dir`)."""

from tasks.language import spa_eng, tiny_shakespeare  # noqa: F401  (registers)
