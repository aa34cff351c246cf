"""Starting the server: thread settings, loading the model once per worker, uvicorn.

With one worker the model loaded (and checked) at start is served directly. With several, uvicorn
starts worker processes that each load the model through :func:`app_from_environment`; the
settings travel in ``$NLP_RNN_SERVE_SETTINGS``. Either way the model is loaded once before
uvicorn starts, so a model that cannot be loaded stops ``serve`` with one message.
"""

import os
from typing import Optional

from .settings import SETTINGS_ENV, ServeSettings


def default_threads(workers: int) -> int:
    """Threads per worker when ``--threads`` is not given: the cores shared among the workers."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def set_threads(threads: int) -> None:
    """Thread count for torch and onnxruntime in this process and the workers it starts."""
    os.environ["NLP_RNN_THREADS"] = str(threads)
    from ..threads import prepare_threads

    try:
        prepare_threads(threads)
    except ImportError:  # an exported pipeline served without torch: onnxruntime reads the variable
        os.environ["OMP_NUM_THREADS"] = str(threads)


def load_model(path: str):
    """The pipeline, or :class:`~nlp_rnn.loading.PipelineLoadError` with the reason."""
    from ..loading import load_pipeline

    return load_pipeline(path)


def app_from_environment():
    """uvicorn factory for worker processes: settings from ``$NLP_RNN_SERVE_SETTINGS``."""
    from .app import create_app

    settings = ServeSettings.from_json(os.environ[SETTINGS_ENV])
    return create_app(load_model(settings.model), settings)


def run_server(settings: ServeSettings, host: str, port: int, workers: int = 1, nlp=None, log_level: str = "info", access_log: bool = False) -> None:
    """Serve until interrupted. ``nlp``: the pipeline already loaded (one worker)."""
    import uvicorn

    if workers > 1:
        os.environ[SETTINGS_ENV] = settings.to_json()
        uvicorn.run(
            "nlp_rnn.serving.server:app_from_environment", factory=True, host=host, port=port, workers=workers,
            log_level=log_level, access_log=access_log,
        )
        return
    from .app import create_app

    app = create_app(nlp if nlp is not None else load_model(settings.model), settings)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=access_log)
