"""Serial twins of parallel kernels: the same source compiled without threads.

A ``parallel=True`` kernel starts a parallel region at every call, and that costs about a
microsecond even when the region runs on one thread. The step pipeline calls a dozen regions
per outer step and three more per contact sub-step, so a small crowd (the 132 people of a Los
Olivos night: 270 000 steps, a million sub-steps) spent a third of its time starting regions.
Small crowds therefore run a twin of the pipeline compiled from the same Python source with
``prange`` running as ``range``.

The twin does the same arithmetic in the same order per agent: parallel kernels here write
each agent's results from that agent's own loop iteration, never a reduction across
iterations, so a twin gives the same bits as its parallel original (tests/kernels/test_serial.py).
"""

from __future__ import annotations

import types

from numba import njit
from numba.core.dispatcher import Dispatcher

_twins: dict[Dispatcher, Dispatcher] = {}


def serial_twin(kernel: Dispatcher) -> Dispatcher:
    """``kernel`` compiled again from its Python source without threads, cached on disk.

    Kernels it calls that start parallel regions, directly or further down, are replaced by
    their own twins; a kernel that starts none is its own twin. A twin gets the qualified name
    ``<name>_serial``, so numba's disk cache (keyed by qualified name) keeps it apart.
    """
    if kernel in _twins:
        return _twins[kernel]
    source = kernel.py_func
    calls = {name: serial_twin(callee) for name, callee in _called_kernels(kernel).items()
             if _starts_regions(callee)}
    if not calls and not kernel.targetoptions.get("parallel"):
        _twins[kernel] = kernel
        return kernel
    twin = types.FunctionType(source.__code__, {**source.__globals__, **calls}, source.__name__ + "_serial",
                              source.__defaults__, source.__closure__)
    twin.__qualname__ = source.__qualname__ + "_serial"
    twin.__doc__ = source.__doc__
    options = {k: v for k, v in kernel.targetoptions.items() if k not in ("parallel", "nopython")}
    _twins[kernel] = njit(cache=True, **options)(twin)
    return _twins[kernel]


def _called_kernels(kernel: Dispatcher) -> dict[str, Dispatcher]:
    """Compiled functions that ``kernel``'s code names as globals (what it can call)."""
    scope = kernel.py_func.__globals__
    return {name: scope[name] for name in kernel.py_func.__code__.co_names
            if isinstance(scope.get(name), Dispatcher) and scope[name] is not kernel}


def _starts_regions(kernel: Dispatcher, seen: frozenset = frozenset()) -> bool:
    if kernel.targetoptions.get("parallel"):
        return True
    seen = seen | {kernel}
    return any(_starts_regions(callee, seen) for callee in _called_kernels(kernel).values() if callee not in seen)


def use_as_serial_twin(kernel: Dispatcher, serial: Dispatcher) -> None:
    """Make ``serial`` (another algorithm giving the same bits on one thread) ``kernel``'s twin.

    Its own parallel callees are replaced by their twins. Register before any pipeline that
    calls ``kernel`` takes its twin.
    """
    _twins[kernel] = serial_twin(serial)
