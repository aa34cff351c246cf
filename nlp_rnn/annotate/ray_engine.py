"""``engine="ray"``: the same annotation on Ray Data, one model per actor.

The plan: the input is cut into :class:`~nlp_rnn.annotate.inputs.Shard` s that know their first
line number (byte ranges on line boundaries for JSONL / text, row-group ranges for Parquet, the
whole file for CSV); ``ray.data.from_items(shards)`` → ``map_batches(read_shards)`` (read tasks
turn each shard into line-numbered rows, errors included, streaming) →
``map_batches(RayAnnotator, compute=ActorPoolStrategy(size=N))`` (a callable class: each actor
loads the model once and returns each batch's output lines already encoded, exactly as the local
engine does) → ``iter_batches`` in the driver with ``preserve_order``, which appends the batches to OUTPUT through the same resumable writer. So the
output is one ordered JSONL (or Parquet) file, identical in content to the local engine's, and
``--resume`` works the same way; the workers never need to reach the driver's file system (on a
remote cluster they need nlp_rnn installed and the model folder and input at the same path).

Resources: ``map_batches(..., concurrency=2)`` with one-CPU actors plus the read task asks a 2-CPU
machine for 3 CPUs and Ray waits forever. The actors therefore get a fractional ``num_cpus``
sized from the cluster's total CPUs (``ray.cluster_resources()``) so that N actors and a read task
fit at once. Not from ``ray.available_resources()``: right after a previous run in the same Ray
instance its actors may still hold their CPUs for a moment (CI saw "0.01 CPUs"); the new actors
simply wait for them to be released.
"""

import json
import logging
import math
import os
from dataclasses import asdict
from itertools import islice
from pathlib import Path
from typing import Iterator, List, Optional, Tuple, Union

from .annotator import EncodedBatch, load_annotator
from .errors import AnnotateError
from .inputs import InputSource, Shard, SourceRecord

READ_ROWS = 2048
READ_CPUS = 0.25
SHARD_BYTES = 64 << 20


def import_ray():
    """``ray`` with Ray Data, or an error saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise AnnotateError("--engine ray needs Ray Data: pip install nlp-rnn[ray]  (or: pip install 'ray[data]')") from None
    return ray


def plan_resources(cpus: float, n_workers: int, nodes: int = 1) -> Tuple[float, float]:
    """(CPUs per read task, CPUs per actor): ``n_workers`` actors and a read task fit in ``cpus``,
    with a read task's share kept free on each of the ``nodes`` (on two 1-CPU nodes, actors sized
    from the total alone left no node room for the read task, and the job waited forever)."""
    read = min(READ_CPUS, cpus / 4 / max(1, nodes))
    actor = min(1.0, math.floor((cpus - read * max(1, nodes)) / n_workers * 100) / 100)
    if actor < 0.01:
        raise AnnotateError(f"{n_workers} Ray workers do not fit in the {cpus:g} CPUs Ray reports")
    return read, actor


def connect(ray, address: Optional[str], num_cpus: Optional[int]) -> bool:
    """Join a running cluster (``address`` or ``RAY_ADDRESS``) or start a local instance; return
    whether this call started Ray (and so should shut it down)."""
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS")
    options = dict(logging_level="WARNING", log_to_driver=True)
    if address:
        ray.init(address=address, **options)
    else:
        ray.init(num_cpus=num_cpus, include_dashboard=False, **options)
    return True


def records_table(records: List[SourceRecord]):
    """Line-numbered rows for Ray: ids travel JSON-encoded (null: the input had none)."""
    import pyarrow as pa

    return pa.table(
        {
            "line": pa.array([r.line for r in records], pa.int64()),
            "text": pa.array([r.text for r in records], pa.string()),
            "id": pa.array([json.dumps(r.id) if r.has_id else None for r in records], pa.string()),
            "error": pa.array([r.error for r in records], pa.string()),
        }
    )


def table_records(table) -> List[tuple]:
    columns = [table.column(name).to_pylist() for name in ("line", "text", "id", "error")]
    return [
        (line, text, None if id is None else json.loads(id), id is not None, error)
        for line, text, id, error in zip(*columns)
    ]


def read_shards(shards, source: InputSource) -> Iterator:
    """Read task: each shard (a row of ``shards``) as tables of line-numbered records."""
    for row in shards.to_pylist():
        records = source.read_shard(Shard(**row))
        while True:
            chunk = list(islice(records, READ_ROWS))
            if not chunk:
                break
            yield records_table(chunk)


class RayAnnotator:
    """Ray actor: the model loaded once; a batch of rows in, one row (the encoded batch) out."""

    def __init__(self, model_path: str, code: Optional[str], threads: int = 1):
        from ..threads import prepare_threads

        prepare_threads(threads)
        self.annotator = load_annotator(model_path, code)

    def __call__(self, table):
        import pyarrow as pa

        batch = self.annotator(table_records(table))
        return pa.table({key: [value] for key, value in asdict(batch).items()})


def run_ray(
    source: InputSource,
    model_path: Union[str, Path],
    *,
    start_line: int = 1,
    code: Optional[Union[str, Path]] = None,
    batch_size: int = 256,
    n_process: int = -1,
    ray_address: Optional[str] = None,
    num_cpus: Optional[int] = None,
    threads: Optional[int] = None,
) -> Iterator[EncodedBatch]:
    """Encoded output batches for the input from ``start_line`` on, in input order.

    ``n_process``: actors (-1: one per CPU Ray reports); ``num_cpus``: CPUs of a local instance;
    ``threads``: torch threads per actor (default 1)."""
    ray = import_ray()
    started = connect(ray, ray_address, num_cpus)
    data_logger = logging.getLogger("ray.data")
    level = data_logger.level
    try:
        cpus = ray.cluster_resources().get("CPU", 1.0)
        n_workers = n_process if n_process > 0 else max(1, int(cpus))
        nodes = sum(1 for node in ray.nodes() if node.get("Alive") and node.get("Resources", {}).get("CPU"))
        read_cpus, actor_cpus = plan_resources(cpus, n_workers, nodes)
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        data_logger.setLevel(logging.ERROR)  # Ray Data's INFO lines would break our progress bar
        size = source.path.stat().st_size
        shards = source.shards(start_line, max(2 * n_workers, math.ceil(size / SHARD_BYTES)))
        if not shards:
            return
        dataset = ray.data.from_items([asdict(shard) for shard in shards], override_num_blocks=len(shards))
        dataset = dataset.map_batches(
            read_shards, fn_kwargs={"source": source}, batch_size=1, batch_format="pyarrow", num_cpus=read_cpus
        )
        dataset = dataset.map_batches(
            RayAnnotator,
            fn_constructor_kwargs={"model_path": str(model_path), "code": None if code is None else str(code),
                                   "threads": threads or 1},
            batch_size=batch_size,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=n_workers),
            num_cpus=actor_cpus,
        )
        for table in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
            for row in table.to_pylist():
                yield EncodedBatch(**row)
    except AnnotateError:
        raise
    except Exception as error:
        if not type(error).__module__.startswith("ray"):
            raise
        raise AnnotateError(f"the Ray job failed: {_last_line(error)}") from error
    finally:
        data_logger.setLevel(level)
        if started:
            ray.shutdown()


def _last_line(error: Exception) -> str:
    lines = [line for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__

