"""Inspection: traces of memory cells and pictures of them."""

from ntm_keras.inspect.memory_trace import (
    find_memory_layer,
    input_steps,
    memory_trace,
    step_memory_cell,
    trace_summary,
    weighting_entropies,
    weighting_entropy,
)
from ntm_keras.inspect.plot_memory_trace import plot_memory_trace
from ntm_keras.inspect.token_trace import words_view

__all__ = [
    "find_memory_layer",
    "input_steps",
    "memory_trace",
    "plot_memory_trace",
    "step_memory_cell",
    "trace_summary",
    "weighting_entropies",
    "weighting_entropy",
    "words_view",
]
