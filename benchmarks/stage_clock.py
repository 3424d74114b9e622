"""Time the compiled step pipeline stage by stage, inside compiled code (benchmarks only).

``profiled_pipeline(advance)`` compiles a copy of a pipeline (``kernels.step.advance`` or its
serial twin) in which every kernel it calls is wrapped in a compiled timer: the CPU's cycle
counter is read before and after the call, and the difference added to that kernel's slot of a
counter array. Nothing else changes, so a run with the copy gives the same bits as a run without
it (the benchmarks check this), and small stages are not drowned in Python's call overhead as
they are when the pipeline is replayed from Python. Reading the counter costs ~20 ns a call.

Cycles become seconds with the ratio of the whole pipeline's cycles to its wall time, measured
in the same run; the pipeline's own loops between kernel calls are reported as "glue".
"""

from __future__ import annotations

import types

import numpy as np
from llvmlite import ir
from numba import njit
from numba import types as nbtypes
from numba.core import cgutils
from numba.core.dispatcher import Dispatcher
from numba.core.extending import intrinsic


@intrinsic
def _cycle_count(typingctx):
    """The CPU's cycle (time-stamp) counter."""
    def codegen(context, builder, signature, args):
        counter = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(64), []),
                                                 "llvm.readcyclecounter")
        return builder.call(counter, [])
    return nbtypes.int64(), codegen


@intrinsic
def _add_to_slot(typingctx, address, slot, value):
    """counters[slot] += value, where ``address`` is the counters' data pointer (an int64 array).

    Compiled code treats global arrays as constants, so the counters are reached by address.
    """
    def codegen(context, builder, signature, args):
        base, index, amount = args
        pointer = builder.gep(builder.inttoptr(base, ir.IntType(64).as_pointer()), [index])
        builder.store(builder.add(builder.load(pointer), amount), pointer)
        return context.get_dummy_value()
    return nbtypes.void(nbtypes.int64, nbtypes.int64, nbtypes.int64), codegen


def _timed(kernel: Dispatcher, cycles_address: int, calls_address: int, slot: int) -> Dispatcher:
    """``kernel`` with its cycles and calls added to slot ``slot`` of the two counter arrays."""
    @njit
    def timed(*args):
        start = _cycle_count()
        out = kernel(*args)
        _add_to_slot(cycles_address, slot, _cycle_count() - start)
        _add_to_slot(calls_address, slot, 1)
        return out
    return timed


class ProfiledPipeline:
    """A copy of a compiled pipeline whose kernel calls are timed; call it like the original.

    ``cycles[name]`` and ``calls[name]`` are per kernel; ``cycles["(pipeline)"]`` is the whole
    pipeline.
    """

    def __init__(self, pipeline: Dispatcher):
        source = pipeline.py_func
        kernels = sorted(name for name, value in source.__globals__.items() if isinstance(value, Dispatcher))
        self.names = kernels + ["(pipeline)"]
        self._cycles = np.zeros(len(self.names), np.int64)
        self._calls = np.zeros(len(self.names), np.int64)
        counters = (self._cycles.ctypes.data, self._calls.ctypes.data)
        scope = dict(source.__globals__)
        for slot, name in enumerate(kernels):
            scope[name] = _timed(source.__globals__[name], *counters, slot)
        copy = types.FunctionType(source.__code__, scope, source.__name__ + "_profiled", source.__defaults__,
                                  source.__closure__)
        self._pipeline = _timed(njit(copy), *counters, len(kernels))

    def __call__(self, *args):
        return self._pipeline(*args)

    @property
    def cycles(self) -> dict[str, int]:
        return {n: int(c) for n, c in zip(self.names, self._cycles)}

    @property
    def calls(self) -> dict[str, int]:
        return {n: int(c) for n, c in zip(self.names, self._calls)}

    def reset(self) -> None:
        self._cycles[:] = 0
        self._calls[:] = 0


def kernel_seconds(profiled: ProfiledPipeline, wall_s: float) -> dict[str, float]:
    """Seconds per kernel called, from cycles scaled so that the whole pipeline took ``wall_s``;
    "glue" is the pipeline's time outside its kernel calls."""
    cycles = profiled.cycles
    total = cycles.pop("(pipeline)")
    seconds_per_cycle = wall_s / total if total else 0.0
    out = {name: c * seconds_per_cycle for name, c in cycles.items() if c}
    out["glue"] = wall_s - sum(out.values())
    return out


# Pipeline stage of each kernel that kernels/step.advance (and its serial twin) calls (gather_by_cell and
# add_wall_forces run inside smooth_forces). A kernel not listed counts under its own name.
STAGE_OF = {
    "build_agent_cells": "cells",
    "desired_directions": "directions", "apply_roles": "directions",
    "smooth_forces": "forces", "orderly_steering": "forces", "find_leaf_contacts": "forces",
    "handle_torques": "forces",
    "split_stiff": "integrate: free", "free_accelerations": "integrate: free", "kick_drift": "integrate: kick-drift",
    "substep_count": "integrate: contact sub-steps", "contact_substeps": "integrate: contact sub-steps",
    "advance_leaves": "integrate: contact sub-steps", "update_leaf_segments": "integrate: contact sub-steps",
    "enforce_walls": "walls", "enforce_leaves": "walls",
    "guard_non_finite": "health",
    "cross_lines": "lines",
    "update_elevation": "elevation",
    "slow_over_bodies": "bodies on the floor", "weight_on_bodies": "bodies on the floor",
    "invalidate_pair_cache": "cells", "invalidate_body_cache": "cells",  # once a call: the lists kept between steps
    "invalidate_nav_cache": "directions",
}


def stage_seconds(profiled: ProfiledPipeline, wall_s: float, stage_of: dict[str, str]) -> dict[str, float]:
    """Seconds per pipeline stage (kernels not in ``stage_of`` under their own name), and glue."""
    out: dict[str, float] = {}
    for name, seconds in kernel_seconds(profiled, wall_s).items():
        stage = stage_of.get(name, name)
        out[stage] = out.get(stage, 0.0) + seconds
    return out
