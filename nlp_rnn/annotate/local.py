"""``engine="local"``: annotate in this process, or in a pool of worker processes.

With ``n_process > 1`` this is a pool of spawned processes (``concurrent.futures``), not
``nlp.pipe(n_process=N)``: each worker loads the model once, receives batches (the raw input
lines for JSONL / text, so even JSON parsing happens in the workers; ``(line, text, id, …)``
tuples for CSV / Parquet) and returns the batch's output lines already JSON-encoded (one ``bytes``
object), so the Doc → record conversion happens inside the worker, custom ``Doc._`` / ``Span._``
attributes are never lost in transit (spaCy #4737), the traffic each way is about the size of the
text, and the main process only reads, dispatches and appends bytes (about 2 µs of its CPU per
document). Order is restored by submitting batches in order and collecting them first in, first
out; at most ``2 × n_process`` batches are in flight, so memory stays flat.

Why not ``nlp.pipe(n_process=N)``: it ships every Doc back serialized and the parent rebuilds
each one (``Doc.from_bytes``) before any record is made, so the parent's share of the work grows
with every document; extension values travel only as far as ``Doc.to_bytes`` carries them
(spaCy #4737); and it forks (Linux default) a parent that already holds the torch model. The
benchmark (benchmarks/annotate.py) measures both on the same input.

Spawned (not forked) workers: a fork of a process that has run torch can deadlock in its thread
pools, and the parent never needs the model at all. A worker that dies (killed, out of memory)
breaks the pool and surfaces as an :class:`AnnotateError` naming the lines in flight; a batch not
back within ``batch_timeout`` seconds does too, and the workers are then terminated: no hang.
Workers also end themselves when the main process disappears (``kill -9``): no orphans.
"""

import os
import threading
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Deque, Iterable, Iterator, List, Optional, Tuple, TypeVar, Union

from ..threads import prepare_threads
from .annotator import Annotator, EncodedBatch, load_annotator
from .errors import AnnotateError
from .inputs import InputSource

T = TypeVar("T")
IN_FLIGHT_PER_WORKER = 2

_worker: Union[Annotator, str, None] = None
_source: Optional[InputSource] = None


def batched(items: Iterable[T], size: int) -> Iterator[List[T]]:
    iterator = iter(items)
    while True:
        batch = list(islice(iterator, size))
        if not batch:
            return
        yield batch


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def run_local(
    source: InputSource,
    model_path: Union[str, Path],
    *,
    start_line: int = 1,
    code: Optional[Union[str, Path]] = None,
    batch_size: int = 256,
    n_process: int = 1,
    batch_timeout: Optional[float] = None,
    threads: Optional[int] = None,
) -> Iterator[EncodedBatch]:
    """Encoded output batches for the input from ``start_line`` on, in input order.

    ``threads``: torch threads in this process (``n_process == 1``) or in each worker; ``None``:
    torch's default here, the CPUs shared out among the workers in a pool."""
    if n_process == 1:
        if threads is not None:
            prepare_threads(threads)
        annotator = load_annotator(model_path, code)
        for batch in batched(source.read(start_line), batch_size):
            yield annotator(batch)
        return
    yield from run_pool(source, model_path, start_line=start_line, code=code, batch_size=batch_size,
                        n_process=n_process, batch_timeout=batch_timeout, threads=threads)


def _exit_with_parent(parent: int, interval: float = 1.0) -> None:
    """Daemon thread body: end this worker when the main process is gone (e.g. ``kill -9``),
    instead of waiting forever on a queue no one will write to."""
    while True:
        time.sleep(interval)
        if os.getppid() != parent:
            os._exit(1)


def _init_worker(model_path: str, code: Optional[str], threads: int, source: InputSource, parent: int) -> None:
    """Pool initializer: load the model once; keep the error message if that fails. ``parent``
    is the main process's pid, passed in: it may be gone already by the time this runs."""
    global _worker, _source
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    prepare_threads(threads)
    _source = source
    try:
        _worker = load_annotator(model_path, code)
    except Exception as error:
        _worker = f"cannot load the pipeline in a worker process: {error}"


def _annotate_in_worker(items: List[tuple]) -> EncodedBatch:
    if not isinstance(_worker, Annotator):
        raise AnnotateError(_worker or "worker not initialized")
    return _worker(items)


def _annotate_lines_in_worker(first_line: int, raws: List[bytes]) -> EncodedBatch:
    """JSONL / text: the raw lines are parsed here, in the worker, not in the main process."""
    return _annotate_in_worker(_source.parse_lines(first_line, raws))


def _jobs(source: InputSource, start_line: int, batch_size: int) -> Iterator[Tuple[int, int, Callable, tuple]]:
    """(first line, last line, worker function, arguments) per batch: raw lines for JSONL / text
    (parsing moves to the workers), record tuples for CSV / Parquet."""
    if source.has_raw_lines:
        for first, raws in source.raw_batches(start_line, batch_size):
            yield first, first + len(raws) - 1, _annotate_lines_in_worker, (first, raws)
    else:
        for batch in batched(source.read(start_line), batch_size):
            yield batch[0].line, batch[-1].line, _annotate_in_worker, ([tuple(r) for r in batch],)


def run_pool(
    source: InputSource,
    model_path: Union[str, Path],
    *,
    start_line: int = 1,
    code: Optional[Union[str, Path]] = None,
    batch_size: int = 256,
    n_process: int = 2,
    batch_timeout: Optional[float] = None,
    threads: Optional[int] = None,
) -> Iterator[EncodedBatch]:
    """Annotate in ``n_process`` spawned workers; yield the batches in input order. Each worker
    runs torch on ``threads`` threads (default: the CPUs shared out among the workers)."""
    threads = threads or max(1, available_cpus() // n_process)
    pool = ProcessPoolExecutor(
        n_process,
        mp_context=get_context("spawn"),
        initializer=_init_worker,
        initargs=(str(model_path), None if code is None else str(code), threads, source, os.getpid()),
    )
    pending: Deque[Tuple[int, int, Future]] = deque()
    completed = False
    try:
        for first, last, function, args in _jobs(source, start_line, batch_size):
            pending.append((first, last, pool.submit(function, *args)))
            while len(pending) >= IN_FLIGHT_PER_WORKER * n_process:
                yield _collect(pending.popleft(), batch_timeout)
        while pending:
            yield _collect(pending.popleft(), batch_timeout)
        completed = True
    finally:
        if completed:
            pool.shutdown(wait=True)
        else:
            stop_pool(pool)


def _collect(entry: Tuple[int, int, Future], timeout: Optional[float]) -> EncodedBatch:
    first, last, future = entry
    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        raise AnnotateError(f"no result for input lines {first}-{last} from a worker within {timeout:g} s") from None
    except BrokenProcessPool:
        raise AnnotateError(
            f"a worker process died (killed, or out of memory?) while input lines up to {last} were in flight"
        ) from None
    except AnnotateError:
        raise
    except Exception as error:
        raise AnnotateError(f"a worker failed on input lines {first}-{last}: {type(error).__name__}: {error}") from error


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and end the workers now (they may be stuck)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join(timeout=5)
