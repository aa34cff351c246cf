"""CPU thread settings for every command that runs a torch model.

Torch's OpenMP pool busy-waits between parallel regions by default. On a small machine that is
shared with any other busy process the spinning threads steal each other's cores and a run gets
7-10x slower (benchmarks/results/threads.md: 50 training steps on 2 cores took 4 s alone and
152 s beside one busy process with torch's defaults). Two settings fix that, and both must be in
place before torch is first imported:

- ``OMP_WAIT_POLICY=PASSIVE``: idle OpenMP threads sleep instead of spinning;
- a thread count: ``--threads`` on the command line, else ``$NLP_RNN_THREADS``, else
  ``$OMP_NUM_THREADS``, else :data:`DEFAULT_THREADS` (at most the CPUs this process may use).

The default was chosen by ``benchmarks/threads.py`` (idle, beside a busy loop, beside a second
training): with the passive wait policy neither 1 nor 2 threads collapses under contention, and 2
threads trained fastest on the idle machine and beside a second training.

Call :func:`prepare_threads` at the start of a command, before anything imports torch.
"""

import os
from typing import Optional

THREADS_ENV = "NLP_RNN_THREADS"
DEFAULT_THREADS = 2


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_threads() -> int:
    """:data:`DEFAULT_THREADS`, or fewer on a machine with fewer CPUs."""
    return min(DEFAULT_THREADS, available_cpus())


def _from_env(name: str) -> Optional[int]:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"${name} must be a whole number, got {value!r}") from None


def prepare_threads(threads: Optional[int] = None) -> Optional[int]:
    """Set the OpenMP wait policy and the number of intra-op threads for torch.

    ``threads`` (``--threads``) wins, then ``$NLP_RNN_THREADS``, then ``$OMP_NUM_THREADS``; with
    none of them :func:`default_threads` is set. Returns the count that was asked for (argument or
    environment), or ``None`` when the default was applied (so a process pool can still share the
    CPUs out among its workers). Values below 1 are rejected with a ``ValueError``."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    source = "--threads"
    if threads is None:
        threads, source = _from_env(THREADS_ENV), f"${THREADS_ENV}"
    if threads is None:
        threads, source = _from_env("OMP_NUM_THREADS"), "$OMP_NUM_THREADS"
    if threads is not None and threads < 1:
        raise ValueError(f"{source} must be at least 1, got {threads}")
    if threads is not None:  # child processes inherit what was asked for
        os.environ["OMP_NUM_THREADS"] = str(threads)
        os.environ["MKL_NUM_THREADS"] = str(threads)
    count = threads if threads is not None else default_threads()
    try:
        import torch
    except ModuleNotFoundError:  # an ONNX-exported pipeline runs without torch
        return threads
    torch.set_num_threads(count)
    return threads
