"""Optimizers that expose training diagnostics."""

from ntm_keras.optimizers.monitored_adam import MonitoredAdam

__all__ = ["MonitoredAdam"]
