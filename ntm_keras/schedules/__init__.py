"""Learning-rate schedules."""

from ntm_keras.schedules.inverse_square_root_schedule import (
    InverseSquareRootSchedule,
)

__all__ = ["InverseSquareRootSchedule"]
