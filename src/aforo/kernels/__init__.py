"""numba kernels: pure functions over arrays. They import only numpy, numba and math, never raise
on data, and report trouble through status arrays that the engine turns into messages.

Compiled kernels are cached on disk (``cache=True``). numba keys a cached function on its own
source file only, so a kernel calling a changed kernel in another file would load stale machine
code — which can crash the interpreter. The cache therefore lives in a directory named after a
hash of every kernel source: any change to any kernel starts a fresh cache. Set AFORO_CACHE_DIR
to move it (default ~/.cache/aforo/numba), or NUMBA_CACHE_DIR to take over entirely.
"""

import hashlib
import os
from pathlib import Path

import numba


def _kernel_cache_dir() -> str:
    digest = hashlib.sha256()
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    digest.update(numba.__version__.encode())
    base = os.environ.get("AFORO_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache"), "aforo", "numba"
    )
    return os.path.join(base, digest.hexdigest()[:16])


if not os.environ.get("NUMBA_CACHE_DIR"):
    numba.config.CACHE_DIR = _kernel_cache_dir()
