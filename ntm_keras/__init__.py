"""ntm_keras: attention and memory-augmented layers for Keras 3.

Importing this package registers every public layer, cell, loss, metric,
optimizer and schedule for serialization, so `keras.models.load_model` needs
nothing else.
"""

from ntm_keras import (
    inspect,
    layers,
    losses,
    memory,
    metrics,
    optimizers,
    schedules,
)

__version__ = "0.1.0"

__all__ = [
    "inspect",
    "layers",
    "losses",
    "memory",
    "metrics",
    "optimizers",
    "schedules",
]
