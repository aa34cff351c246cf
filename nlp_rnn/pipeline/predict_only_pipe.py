"""The base of the components that predict but never train — the exported (ONNX) pipe and the seed
ensemble: spaCy's calls go to the subclass's ``predict`` and to the head's task (writing, scoring).
No torch here."""

from typing import Any, Dict, Iterable, Iterator

from spacy import util
from spacy.pipeline import Pipe
from spacy.tokens import Doc
from spacy.training import Example

from .task import TaskAttributes


class PredictOnlyPipe(TaskAttributes, Pipe):
    """``__call__`` / ``pipe`` = ``predict`` then the task's ``write``; ``score`` is the task's.
    Subclasses set ``vocab``, ``name``, ``task``, ``cfg`` and define ``predict``."""

    @property
    def is_trainable(self) -> bool:
        return False

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations([doc], self.predict([doc]))
        return doc

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        for docs in util.minibatch(stream, size=batch_size):
            self.set_annotations(docs, self.predict(docs))
            yield from docs

    def set_annotations(self, docs: Iterable[Doc], predictions: Any) -> None:
        self.task.write(self, list(docs), predictions)

    def score(self, examples: Iterable[Example], **kwargs) -> Dict[str, Any]:
        return self.task.score(self, list(examples))
