"""ntm_keras: attention and memory-augmented layers for Keras 3.

Importing this package registers every public layer, cell, metric and
optimizer for serialization, so `keras.models.load_model` needs nothing else.
"""

from ntm_keras import inspect, losses, memory, metrics, optimizers

__version__ = "0.1.0"

__all__ = ["inspect", "losses", "memory", "metrics", "optimizers"]
