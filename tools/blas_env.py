"""One BLAS setting wherever notebooks run for the course's tools, so that stored outputs reproduce.

numpy's OpenBLAS picks its matrix kernels by CPU (Haswell, SkylakeX, ...), and kernels add in
different orders: a network trained for 1,500 steps on an AVX-512 machine ends a few units in the
third digit away from the same run on an AVX2 one. The solutions are executed and tested with the
Haswell kernels (any x86-64 CPU with AVX2 runs them) and one thread; elsewhere (ARM, old CPUs)
the tests still run, and a stored number may differ in its last digits.
"""
from __future__ import annotations

import os
import platform


def _has_avx2() -> bool:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return any(line.startswith("flags") and " avx2" in line for line in cpuinfo)
    except OSError:
        return False


def pin_blas(environ=os.environ) -> None:
    """Set OPENBLAS_NUM_THREADS=1 and, on x86-64 with AVX2, OPENBLAS_CORETYPE=Haswell, unless already set."""
    environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if platform.machine().lower() in ("x86_64", "amd64") and _has_avx2():
        environ.setdefault("OPENBLAS_CORETYPE", "Haswell")
