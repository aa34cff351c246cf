"""Server settings: limits, batching and the bearer token, passed to worker processes as JSON."""

import json
import os
from dataclasses import asdict, dataclass
from typing import Optional

SETTINGS_ENV = "NLP_RNN_SERVE_SETTINGS"


@dataclass
class ServeSettings:
    """Args:
        model: pipeline folder. max_batch: most texts per ``nlp.pipe`` call.
        max_wait_ms: how long a batch that is not full waits for more texts (0: run at once; the
            texts that arrive while the model is busy still form the next batch).
        max_text_length: longest text in characters (longer → 413).
        max_batch_texts: most texts in one ``/parse`` or ``/translate`` request (more → 413).
        token_env: environment variable holding the bearer token (None: no authentication).
        default_top_k: ranking length of ``/parse`` records when the request names none.
    """

    model: str
    max_batch: int = 32
    max_wait_ms: float = 0.0
    max_text_length: int = 10_000
    max_batch_texts: int = 256
    token_env: Optional[str] = None
    default_top_k: int = 3

    def validate(self) -> None:
        """:class:`ValueError` naming the first bad setting."""
        for name in ("max_batch", "max_text_length", "max_batch_texts", "default_top_k"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.max_wait_ms < 0:
            raise ValueError(f"--max-wait-ms must not be negative, got {self.max_wait_ms}")
        self.token()

    def token(self) -> Optional[str]:
        """The bearer token from ``token_env``; :class:`ValueError` when that variable is unset or empty."""
        if not self.token_env:
            return None
        value = os.environ.get(self.token_env, "")
        if not value:
            raise ValueError(f"--token-env {self.token_env}: the environment variable is not set or empty")
        return value

    def max_body_bytes(self) -> int:
        """Requests with a larger ``Content-Length`` are refused before being read (413)."""
        return self.max_batch_texts * (self.max_text_length * 4 + 16) + 65_536

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "ServeSettings":
        return cls(**json.loads(text))
