"""A user's mistake as one line and an exit code, not a traceback.

`ntm-keras` and the scripts in `benchmarks/` run their work through
`run_reporting_errors`: a `ValueError` or `TypeError` (bad input: the
message names the argument, what was received and what is expected), a
training run stopped at a non-finite value, or a file-system error
becomes `PROG: error: MESSAGE` on stderr and the exit code below.
"""

import os
import sys

# Exit codes: 0 success, 1 a file-system error (a disk that is full or
# unreadable), 2 bad input (the message says which), 3 training stopped at a
# non-finite loss or gradient.
EXIT_FILE_SYSTEM = 1
EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3


def run_reporting_errors(prog, function, *args):
    """Calls `function(*args)`; returns 0, or the exit code of its error.

    Args:
        prog: the program's name as the user typed it, e.g. "ntm-keras
            train" or "throughput.py", first on each error line.
        function: the work.
        *args: its arguments.

    Returns:
        0 when `function` returns (whatever it returns), or
        `EXIT_BAD_INPUT`, `EXIT_DIVERGED` or `EXIT_FILE_SYSTEM` after
        printing the one-line message.
    """
    from zoo.training.divergence import TrainingDiverged

    try:
        function(*args)
        return 0
    except (ValueError, TypeError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except TrainingDiverged as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return EXIT_DIVERGED
    except OSError as error:
        # Checked before the work where we can (writable directories); this
        # catches what no check can foresee, e.g. a disk that fills up.
        print(
            f"{prog}: error: {error.strerror or error}"
            + (f": {error.filename}" if error.filename else ""),
            file=sys.stderr,
        )
        return EXIT_FILE_SYSTEM


def exit_reporting_errors(script, main):
    """Runs a script's `main()` and exits with `run_reporting_errors`' code.

    For the `if __name__ == "__main__":` block of the scripts in
    `benchmarks/`: `exit_reporting_errors(__file__, main)`.
    """
    sys.exit(run_reporting_errors(os.path.basename(script), main))
