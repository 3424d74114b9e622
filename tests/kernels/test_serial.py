"""Serial twins (kernels/serial.py): the pipeline for small crowds starts no parallel region."""

import numpy as np
from numba import njit, prange
from numba.core.dispatcher import Dispatcher

from aforo.kernels import serial
from aforo.kernels.serial import serial_twin
from aforo.kernels.smooth_pass import smooth_forces, smooth_forces_pairwise
from aforo.kernels.step import advance, advance_serial


def _reachable(kernel, seen=None):
    seen = set() if seen is None else seen
    for callee in serial._called_kernels(kernel).values():
        if callee not in seen:
            seen.add(callee)
            _reachable(callee, seen)
    return seen


def test_the_serial_pipeline_reaches_no_parallel_kernel():
    reached = _reachable(advance_serial)
    assert reached, "the pipeline calls kernels"
    assert not [k.py_func.__name__ for k in reached | {advance_serial} if k.targetoptions.get("parallel")]
    # while the parallel pipeline does start regions, in the same kernels
    assert any(k.targetoptions.get("parallel") for k in _reachable(advance))


def test_twins_are_named_apart_for_the_disk_cache_and_plain_kernels_are_their_own_twins():
    assert advance_serial.py_func.__qualname__ == "advance_serial"
    twin = serial_twin(smooth_forces)
    assert twin.py_func.__qualname__ == "smooth_forces_pairwise_serial"  # registered algorithm
    gathered = serial._called_kernels(twin)["_pass_arrays"]  # not parallel, but calls a parallel kernel
    assert gathered.py_func.__qualname__ == "_pass_arrays_serial"
    assert serial._called_kernels(gathered)["gather_by_cell"].py_func.__qualname__ == "gather_by_cell_serial"
    assert serial_twin(smooth_forces_pairwise) is twin
    plain = serial._called_kernels(advance)["build_agent_cells"]
    assert not plain.targetoptions.get("parallel") and serial_twin(plain) is plain


@njit(parallel=True)
def _scaled_sums(values, out):
    for i in prange(values.shape[0]):
        total = 0.0
        for j in range(values.shape[1]):
            total += values[i, j] * 0.1
        out[i] = total


def test_a_twin_computes_the_same_bits():
    values = np.random.default_rng(0).normal(size=(1000, 37))
    parallel_out, serial_out = np.zeros(1000), np.zeros(1000)
    twin = serial_twin(_scaled_sums)
    assert isinstance(twin, Dispatcher) and not twin.targetoptions.get("parallel")
    _scaled_sums(values, parallel_out)
    twin(values, serial_out)
    np.testing.assert_array_equal(serial_out, parallel_out)
