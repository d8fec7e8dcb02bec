import json

import numpy as np
import pytest

import tasks
import zoo
from benchmarks import priority_sort_addressing as psa
from ntm_keras import inspect
from ntm_keras.memory import addressing


def test_slots_count_from_the_widest_gap_so_a_wrapped_order_stays_ordered():
    np.testing.assert_array_equal(
        psa.unwrap_slots(np.array([126, 127, 0, 1]), 128), [0, 1, 2, 3]
    )
    np.testing.assert_array_equal(
        psa.unwrap_slots(np.array([40, 10, 12]), 128), [30, 0, 2]
    )
    # Counted from the gap between the reference slots only.
    np.testing.assert_array_equal(
        psa.unwrap_slots(np.array([5, 60, 7]), 128, np.array([5, 7])),
        [0, 55, 2],
    )


def test_measures_of_one_sequence_against_hand_values():
    priorities = np.array([0.1, 0.5, -0.3, 0.9, -0.9])
    # The three to write back (0.9, 0.5, 0.1) in slots 3, 1, 126: falling
    # with the priority, once the wrap past slot 127 is undone (5, 3, 0);
    # the two inputs left out are anywhere. The second read misses.
    result = psa.sequence_addressing(
        priorities, np.array([126, 1, 120, 3, 60]), np.array([3, 2, 126]), 128
    )
    assert result["write_rank_correlation"] == pytest.approx(1.0)
    assert result["distinct_write_slots"] == 1.0
    assert result["slots_used"] == 3
    assert result["read_hits"] == pytest.approx(2 / 3)
    assert "read_ahead_hits" not in result
    # A pipeline: each vector read one step before it is output (the
    # delimiter's read for the first), so every output step misses.
    result = psa.sequence_addressing(
        priorities,
        np.array([126, 1, 120, 3, 60]),
        np.array([1, 126, 50]),
        128,
        ahead_slots=np.array([3, 1, 126]),
    )
    assert result["read_hits"] == 0.0
    assert result["read_ahead_hits"] == 1.0
    # Falling slots 10, 10, 30 (ties ranked by output order, so the ranks
    # 0, 1, 2 against the priorities' 2, 1, 0); the input left out shares
    # slot 10 too; every read finds its slot.
    result = psa.sequence_addressing(
        priorities, np.array([30, 10, 40, 10, 10]), np.array([10, 10, 30]), 128
    )
    assert result["write_rank_correlation"] == pytest.approx(-1.0)
    assert result["distinct_write_slots"] == pytest.approx(1 / 3)
    assert result["slots_used"] == 2
    assert result["read_hits"] == 1.0


def test_slots_are_the_traced_weightings_argmax():
    task = tasks.get("priority_sort", num_inputs=5, num_outputs=4, min_inputs=5)
    model = zoo.get(
        "ntm_tiny", input_dim=task.spec.input_dim, output_dim=task.num_bits
    )
    inputs = next(iter(task.dataset("test", 2)))[0]
    results = psa.addressing(model, inputs, task)
    trace = inspect.memory_trace(model, np.asarray(inputs)[:1])
    weights = trace["write_weights"][:5, 0]  # (inputs, slots)
    slots = np.argmax(weights, axis=-1)
    wanted = results[0]["wanted"]
    np.testing.assert_array_equal(
        results[0]["write_slots"],
        psa.unwrap_slots(slots, weights.shape[-1], slots[wanted]),
    )
    assert results[0]["write_peak"] == pytest.approx(
        float(np.mean(np.max(weights, axis=-1))), rel=1e-5
    )
    np.testing.assert_allclose(
        results[0]["priorities"], np.asarray(inputs)[0, :5, task.num_bits]
    )
    # Inputs at steps 0-4, the delimiter at 5, outputs at steps 6-9; one
    # read head (gate 0), then the write head (gate 1).
    # The read hits, at the output steps and one step ahead of them
    # (the delimiter at step 5 for the first output).
    read_slots = np.argmax(trace["read_weights"][:, 0], axis=-1)
    written = slots[wanted]
    assert results[0]["read_hits"] == pytest.approx(
        float(np.mean(read_slots[6:10] == written))
    )
    assert results[0]["read_ahead_hits"] == pytest.approx(
        float(np.mean(read_slots[5:9] == written))
    )
    gates = trace["gates"]  # (steps, heads)
    assert results[0]["read_gate"] == pytest.approx(
        float(np.mean(gates[6:10, 0])), rel=1e-5
    )
    assert results[0]["write_gate"] == pytest.approx(
        float(np.mean(gates[:5, 1])), rel=1e-5
    )


def test_lookup_offsets_wrap_around_the_memory():
    np.testing.assert_array_equal(
        psa.lookup_offsets([5, 0, 127, 64], [4, 127, 0, 0], 128),
        [1, 1, -1, -64],
    )


def test_lookup_measures_follow_each_head_s_key_alone():
    # Against the lookups recomputed from the memory each step starts
    # with: the read head's at the output steps (6-9), the write head's
    # at the steps of the wanted inputs, both against the wanted inputs'
    # write slots.
    task = tasks.get("priority_sort", num_inputs=5, num_outputs=4, min_inputs=5)
    model = zoo.get(
        "ntm_tiny", input_dim=task.spec.input_dim, output_dim=task.num_bits
    )
    inputs = np.asarray(next(iter(task.dataset("test", 3)))[0])
    steps = list(inspect.step_memory_cell(model, inputs))
    lookups = np.stack(
        [
            np.argmax(
                addressing.content_weights(
                    s["memory_before"], s["keys"], s["strengths"]
                ),
                axis=-1,
            )
            for s in steps
        ],
        1,
    )  # (B, T, heads)
    writes = np.stack(
        [np.argmax(np.asarray(s["write_weights"])[:, 0], -1) for s in steps], 1
    )  # (B, T)
    n = np.asarray(steps[0]["write_weights"]).shape[-1]
    for b, result in enumerate(psa.addressing(model, inputs, task)):
        targets = writes[b, :5][result["wanted"]]
        for name, lookup in (
            ("read", lookups[b, 6:10, 0]),
            ("write", lookups[b, :5, 1][result["wanted"]]),
        ):
            distance = np.abs((lookup - targets + n // 2) % n - n // 2)
            assert result[f"{name}_lookup_hits"] == pytest.approx(
                float(np.mean(distance == 0))
            )
            assert result[f"{name}_lookup_neighbours"] == pytest.approx(
                float(np.mean(distance == 1))
            )


def test_a_missing_run_is_a_usage_error_not_a_traceback(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        psa.main([str(tmp_path / "missing")])
    assert stopped.value.code == 2
    assert "has no config.json" in capsys.readouterr().err


def test_a_saved_keras_model_is_measured_on_the_task_s_defaults(tmp_path):
    task = tasks.get("priority_sort")
    model = zoo.get(
        "ntm_tiny", input_dim=task.spec.input_dim, output_dim=task.num_bits
    )
    model.save(tmp_path / "model-seed0.keras")
    loaded_task, loaded = psa.load(tmp_path / "model-seed0.keras")
    assert loaded_task.num_inputs == task.num_inputs
    inputs = np.asarray(next(iter(task.dataset("test", 2)))[0])
    np.testing.assert_allclose(
        loaded.predict(inputs, verbose=0),
        model.predict(inputs, verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )


def test_a_keras_model_for_another_input_size_is_a_usage_error(
    tmp_path, capsys
):
    zoo.get("ntm_tiny", input_dim=3, output_dim=2).save(tmp_path / "m.keras")
    with pytest.raises(SystemExit) as stopped:
        psa.main([str(tmp_path / "m.keras")])
    assert stopped.value.code == 2
    assert "takes 3 features per step" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        psa.main([str(tmp_path / "missing.keras")])
    assert "no such file" in capsys.readouterr().err


def test_main_draws_both_figures_from_a_saved_model(tmp_path, capsys):
    task = tasks.get("priority_sort")
    zoo.get(
        "ntm_tiny", input_dim=task.spec.input_dim, output_dim=task.num_bits
    ).save(tmp_path / "model.keras")
    psa.main(
        [
            str(tmp_path / "model.keras"),
            "--sequences",
            "2",
            "--out",
            str(tmp_path / "slots.png"),
            "--offsets-out",
            str(tmp_path / "offsets.png"),
        ]
    )
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(psa.MEASURES) <= set(line)
    assert 0.0 <= line["read_lookup_hits"] + line["read_lookup_neighbours"] <= 1
    assert (tmp_path / "slots.png").stat().st_size > 0
    assert (tmp_path / "offsets.png").stat().st_size > 0
