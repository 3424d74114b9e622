"""Measures of finished runs, read back from their run directories (pure functions)."""

from aforo.analysis.run import Run, RunDirectoryError, frame_series, load_run, occupancy

__all__ = ["Run", "RunDirectoryError", "frame_series", "load_run", "occupancy"]
