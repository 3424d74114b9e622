"""What else the machine was doing while a benchmark ran, and which code it ran.

The benchmark machine is small and shared: every timing is reported with the load average
(``os.getloadavg``) and the share of CPU time other processes used while it ran.
"""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path


def cpu_seconds() -> tuple[float, float, float]:
    """(monotonic clock, CPU seconds busy on the whole machine, CPU seconds of this process)."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
    busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    own = os.times()
    return _monotonic(), busy, own.user + own.system + own.children_user + own.children_system


def _monotonic() -> float:
    import time

    return time.monotonic()


def others_share(before, after) -> float:
    """Share of all cores' time that other processes kept busy between two cpu_seconds()."""
    wall = after[0] - before[0]
    others = (after[1] - before[1]) - (after[2] - before[2])
    return min(1.0, max(0.0, others / (wall * os.cpu_count()))) if wall > 0 else 0.0


def machine_load() -> tuple[float, float, float]:
    """Load averages over 1, 5 and 15 minutes."""
    return tuple(round(x, 2) for x in os.getloadavg())


RESULTS_DIR = Path(__file__).resolve().parent / "results"


def write_results(report: dict, name: str) -> Path:
    """Write ``report`` as JSON to benchmarks/results/<name>-<UTC stamp>.json, say so, return the path."""
    from datetime import datetime, timezone
    import json

    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"written to {path}")
    return path


def git_revision() -> str:
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                              text=True, cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine_description() -> dict:
    import numba
    import numpy

    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numba": numba.__version__,
        "numpy": numpy.__version__,
        "threads": numba.get_num_threads(),
        "threading_layer": _threading_layer(),
    }


def _threading_layer() -> str:
    import numba

    try:
        return numba.threading_layer()
    except ValueError:  # no parallel region has run yet
        return "not started"
