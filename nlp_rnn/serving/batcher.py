"""Micro-batching: texts from concurrent requests share one ``nlp.pipe`` call.

Requests put their texts on a queue and await one future per text. One collector task takes
everything queued (up to ``max_batch`` texts), optionally waits up to ``max_wait_ms`` for more,
and runs the batch in a single worker thread, so the event loop keeps accepting requests while
the model runs; whatever arrives meanwhile forms the next batch. With ``max_wait_ms = 0`` a lone
request is never delayed, and under load the batches grow by themselves.

A batch that fails is retried one text at a time, so one bad text fails only its own request.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, List, Optional, Sequence, Tuple

Process = Callable[[List[str]], List[Any]]


class MicroBatcher:
    """Args:
        process: texts → one result per text, in order (runs in the worker thread).
        max_batch: most texts per ``process`` call. max_wait_ms: how long a batch that is not full
            waits for more texts after its first one (0: run at once).
    """

    def __init__(self, process: Process, max_batch: int = 32, max_wait_ms: float = 0.0):
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        if max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must not be negative, got {max_wait_ms}")
        self.process = process
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self.batch_sizes: List[int] = []  # sizes of recent batches (for /health and tests)
        self._queue: Optional[asyncio.Queue] = None
        self._task: Optional[asyncio.Task] = None
        self._executor: Optional[ThreadPoolExecutor] = None

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlp-rnn-model")
        self._task = asyncio.create_task(self._collect())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self._task = self._executor = None

    async def submit(self, texts: Sequence[str]) -> List[Any]:
        """Results for ``texts`` in order; raises the error of the first text that failed."""
        if self._queue is None:
            raise RuntimeError("the batcher is not running")
        loop = asyncio.get_running_loop()
        futures = []
        for text in texts:
            future = loop.create_future()
            self._queue.put_nowait((text, future))
            futures.append(future)
        return list(await asyncio.gather(*futures))

    async def _collect(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            deadline = loop.time() + self.max_wait
            while len(batch) < self.max_batch:
                if not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                    continue
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), remaining))
                except asyncio.TimeoutError:
                    break
            batch = [(text, future) for text, future in batch if not future.done()]  # cancelled requests
            if batch:
                self.batch_sizes = (self.batch_sizes + [len(batch)])[-1000:]
                await self._run(loop, batch)

    async def _run(self, loop, batch: List[Tuple[str, asyncio.Future]]) -> None:
        texts = [text for text, _ in batch]
        try:
            results = await loop.run_in_executor(self._executor, self.process, texts)
            outcomes = [(result, None) for result in results]
        except Exception:  # isolate the failing text(s)
            outcomes = []
            for text in texts:
                try:
                    outcomes.append(((await loop.run_in_executor(self._executor, self.process, [text]))[0], None))
                except Exception as error:
                    outcomes.append((None, error))
        for (_, future), (result, error) in zip(batch, outcomes):
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)
