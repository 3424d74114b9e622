"""numba kernels: pure functions over arrays. They import only numpy, numba and math, never raise
on data, and report trouble through status arrays that the engine turns into messages."""
