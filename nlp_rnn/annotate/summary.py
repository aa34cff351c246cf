"""What a run did (records, errors, docs/s, seconds) and the progress bar that shows it live."""

import sys
from dataclasses import asdict, dataclass
from typing import Dict, Optional

from tqdm import tqdm

from .annotator import EncodedBatch


@dataclass
class AnnotateSummary:
    """The outcome of :func:`nlp_rnn.annotate.annotate`.

    ``records``: output lines written by this run (error records included); ``errors``: error
    records among them (``first_error``: ``"line N: problem"`` of the first); ``resumed_after``: input lines already in the output when the run began
    (``--resume``); ``seconds``: wall time of the whole run, model loading included."""

    output: str
    engine: str
    n_process: int
    records: int = 0
    errors: int = 0
    resumed_after: int = 0
    seconds: float = 0.0
    first_error: str = ""

    @property
    def all_errors(self) -> bool:
        """Every record this run wrote is an error record (a wrong --text-field, --input-format …)."""
        return self.records > 0 and self.errors == self.records

    @property
    def docs_per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0

    def add(self, batch: EncodedBatch) -> None:
        self.records += batch.records
        self.errors += batch.errors
        self.first_error = self.first_error or batch.first_error

    def to_dict(self) -> Dict:
        return dict(asdict(self), docs_per_second=self.docs_per_second)

    def __str__(self) -> str:
        resumed = f" after {self.resumed_after:,} already there" if self.resumed_after else ""
        return (
            f"{self.records:,} records{resumed} ({self.errors:,} errors) in {self.seconds:.1f} s, "
            f"{self.docs_per_second:,.0f} docs/s → {self.output}"
        )


def progress_bar(total: Optional[int], initial: int, enabled: bool = True) -> tqdm:
    """A tqdm bar on stderr counting documents: rate (docs/s) and ETA from the line count."""
    return tqdm(
        total=total,
        initial=initial,
        unit=" docs",
        unit_scale=True,
        file=sys.stderr,
        disable=not enabled,
        dynamic_ncols=True,
        smoothing=0.1,
        mininterval=0.5,
    )
