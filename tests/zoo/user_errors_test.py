"""A user's mistake as one line and an exit code, in `ntm-keras` and scripts."""

import errno
import subprocess
import sys

import pytest

from testing import REPOSITORY, clean_environment
from zoo import user_errors
from zoo.training.divergence import TrainingDiverged


def _fails_with(error):
    def work():
        raise error

    return work


@pytest.mark.parametrize(
    "error, code, line",
    [
        (ValueError("Invalid `x`: received 0"), 2, "Invalid `x`: received 0"),
        (TypeError("Invalid `y`: a str"), 2, "Invalid `y`: a str"),
        (
            TrainingDiverged("loss is nan at step 3", {}),
            3,
            "loss is nan at step 3",
        ),
        (
            OSError(errno.ENOSPC, "No space left on device", "/full/run"),
            1,
            "No space left on device: /full/run",
        ),
    ],
)
def test_each_error_is_one_line_and_its_exit_code(capsys, error, code, line):
    assert user_errors.run_reporting_errors("tool", _fails_with(error)) == code
    assert capsys.readouterr().err == f"tool: error: {line}\n"


def test_work_that_returns_is_a_success_whatever_it_returns(capsys):
    assert user_errors.run_reporting_errors("tool", lambda: [1, 2]) == 0
    assert capsys.readouterr().err == ""


def test_a_programming_error_keeps_its_traceback():
    with pytest.raises(KeyError):
        user_errors.run_reporting_errors("tool", _fails_with(KeyError("k")))


def test_every_benchmark_script_reports_errors_this_way():
    scripts = sorted((REPOSITORY / "benchmarks").glob("*.py"))
    runnable = [p for p in scripts if '__name__ == "__main__"' in p.read_text()]
    assert len(runnable) > 30
    plain = [
        p.name
        for p in runnable
        if "exit_reporting_errors(__file__, main)" not in p.read_text()
    ]
    assert plain == []


def test_a_benchmark_s_bad_option_is_one_line_with_exit_code_2():
    result = subprocess.run(
        [sys.executable, "benchmarks/throughput.py", "ntm:memory_size=-1"],
        cwd=REPOSITORY,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "throughput.py: error: Invalid `memory_size`: received -1; "
        "expected a value >= 1."
    )
