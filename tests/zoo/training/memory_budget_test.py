"""The memory estimate of a train step, by hand, and the refusal."""

import pytest

import tasks
import zoo
from zoo.training import memory_budget

GIB = 2**30


def test_estimate_of_an_ntm_by_hand():
    model = zoo.get("ntm_tiny", input_dim=9, output_dim=8, memory_size=16)
    cell = model.get_layer("ntm").cell
    states = sum(cell.state_size)
    assert states >= 16 * 8  # the memory, N * W
    widths = 0
    for layer in model.layers:
        shape = layer.output.shape
        widths += shape[-1] if len(shape) == 3 else 0
    estimate = memory_budget.estimate_training_bytes(model, 32, 10)
    assert estimate["parameters"] == model.count_params() * 4 * 4
    assert estimate["activations"] == 32 * 10 * (states + widths) * 4 * 8
    assert estimate["attention"] == 0
    assert (
        estimate["total"] == estimate["parameters"] + (estimate["activations"])
    )


def test_estimate_grows_with_the_memory_and_counts_the_dnc_link():
    small = zoo.get("dnc_tiny", memory_size=16)
    large = zoo.get("dnc_tiny", memory_size=32)
    grown = (
        memory_budget.estimate_training_bytes(large, 1, 1)["activations"]
        - memory_budget.estimate_training_bytes(small, 1, 1)["activations"]
    )
    word_size = zoo.describe("dnc_tiny").defaults["word_size"]
    # Memory N * W and link N * N, for 16 more slots.
    assert grown >= (16 * word_size + (32**2 - 16**2)) * 4 * 8


def test_attention_scores_are_counted():
    model = zoo.get("transformer_lm_tiny")
    estimate = memory_budget.estimate_training_bytes(model, 2, 16)
    assert estimate["attention"] > 0
    assert estimate["attention"] % (2 * 16 * 16 * 4 * 8) == 0


def test_too_big_is_refused_with_the_estimate_in_the_message():
    model = zoo.get("ntm_tiny", memory_size=16)
    needed = memory_budget.estimate_training_bytes(model, 32, 10)["total"]
    with pytest.raises(ValueError, match=r"needs about .* GiB.*is free"):
        memory_budget.check_training_memory(model, 32, 10, available=needed - 1)
    memory_budget.check_training_memory(model, 32, 10, available=needed)


@pytest.mark.parametrize(
    ("name", "task_name", "task_options"),
    [
        ("dnc", "copy", {}),
        ("ntm", "copy", {}),
        ("transformer_lm", "ngrams", {}),
    ],
)
def test_default_sizes_are_not_refused(name, task_name, task_options):
    task = tasks.get(task_name, **task_options)
    model = zoo.get(name, task=task)
    inputs, _, _ = next(iter(task.dataset("test", 32)))
    estimate = memory_budget.check_training_memory(
        model, 32, int(inputs.shape[1])
    )
    # The DNC's default (N = 256: a 65,536-number link matrix a step) is
    # the largest, at about 3.2 GiB for batch 32 on copy up to length 20.
    assert estimate["total"] < 4 * GIB


def test_available_memory_is_read():
    available = memory_budget.available_memory_bytes()
    assert available is None or available > 0
