"""Hyperparameter search on the user's own data (``nlp-rnn tune``).

- :mod:`.space`: what is searched (a JSON file, or the default space for the config's component);
- :mod:`.trial_logger`: the ``[training.logger]`` that hands each dev score to the search (pruning);
- :mod:`.trial`: one trial = one ordinary training (``nlp_rnn.cli.train``'s loop) in its own folder;
- :mod:`.local_search`: Optuna (TPE + percentile pruner) in this process or ``--jobs`` processes,
  with its study in ``DIR/study.db`` (a rerun resumes);
- :mod:`.ray_search`: the same trials through Ray Tune with Optuna as its search algorithm;
- :mod:`.results`: ``DIR/report.json`` / ``report.md`` and ``DIR/best``.

Optuna is an extra: ``pip install -e ".[tune]"``.
"""

from .errors import TuneError

__all__ = ["TuneError"]
