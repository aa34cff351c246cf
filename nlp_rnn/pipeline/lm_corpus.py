"""``nlp_rnn.LMChunks.v1``: a corpus reader that streams long texts as fixed-length chunks in lane
order, for truncated backpropagation through time (TBPTT) in spaCy's training loop.

The Docs of a DocBin are documents. Their texts are laid out on ``lanes`` parallel streams, as
char-rnn and AWD-LSTM batch a corpus: a document longer than ``total / lanes`` characters is cut
into that many contiguous segments (one text → one segment per lane), shorter documents are
dealt to the lane with the fewest chunks so far. Each lane's segments are cut into chunks of
``chunk_length`` characters, and the reader yields chunk ``k`` of lane 0, 1, ..., then chunk
``k + 1`` of every lane, so a batch of ``lanes`` consecutive examples
(``spacy.batch_by_sequence.v1``, ``size = lanes``) holds one chunk per lane and the ``rnn_lm``
component carries each lane's hidden state from one batch to the next. The state is reset at
the start of every segment; a segment that starts a document reads a BOUNDARY id first.

Each chunk is an Example whose Doc text is the chunk and whose ``user_data`` tells the
component where it is (:data:`LANE`, :data:`RESET`, :data:`PREVIOUS`, :data:`END`). Training
needs ``[training] max_epochs = -1`` (spaCy then streams the corpus in order instead of
shuffling it); ``shuffle = true`` shuffles the documents (not the chunks) at each pass.
"""

import heapq
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Tuple, Union

from spacy.language import Language
from spacy.tokens import DocBin
from spacy.training import Example
from spacy.util import registry

LANE = "lm_lane"  #: user_data key: the lane (int) of a chunk
RESET = "lm_reset"  #: true: the chunk starts a segment, its state starts from zeros
PREVIOUS = "lm_previous"  #: the character before the chunk, or None when the chunk starts a document
END = "lm_end"  #: true: the chunk ends its document (BOUNDARY is the last target)


@dataclass(frozen=True)
class Segment:
    """``text`` is a contiguous piece of one document; ``previous`` the character before it (None
    at the document's start); ``ends_document``: the piece runs to the document's end."""

    text: str
    previous: Optional[str]
    ends_document: bool


@dataclass(frozen=True)
class Chunk:
    """One example: ``text`` of lane ``lane``; see the module docstring for the flags."""

    text: str
    lane: int
    reset: bool
    previous: Optional[str]
    end: bool


def split_segments(texts: List[str], lanes: int) -> List[Segment]:
    """Documents longer than ``ceil(total / lanes)`` characters cut into contiguous pieces of that
    length; shorter documents stay whole. Empty texts are left out."""
    total = sum(len(t) for t in texts)
    piece = max(1, -(-total // max(1, lanes)))
    segments = []
    for text in texts:
        for start in range(0, len(text), piece):
            segments.append(
                Segment(text[start : start + piece], text[start - 1] if start else None, start + piece >= len(text))
            )
    return segments


def lane_chunks(texts: List[str], lanes: int, chunk_length: int) -> List[List[Chunk]]:
    """The chunks of each lane, in order (see the module docstring)."""
    if lanes < 1 or chunk_length < 1:
        raise ValueError("lanes and chunk_length must be >= 1")
    per_lane: List[List[Chunk]] = [[] for _ in range(lanes)]
    heap: List[Tuple[int, int]] = [(0, lane) for lane in range(lanes)]  # (chunks so far, lane)
    for segment in split_segments(texts, lanes):
        count, lane = heapq.heappop(heap)
        text = segment.text
        starts = range(0, len(text), chunk_length)
        for start in starts:
            last = start + chunk_length >= len(text)
            per_lane[lane].append(
                Chunk(
                    text[start : start + chunk_length],
                    lane,
                    reset=start == 0,
                    previous=segment.previous if start == 0 else text[start - 1],
                    end=last and segment.ends_document,
                )
            )
        heapq.heappush(heap, (count + len(starts), lane))
    return per_lane


def interleave(per_lane: List[List[Chunk]]) -> Iterator[Chunk]:
    """Chunk k of every lane (lane order), then chunk k + 1, ..."""
    longest = max((len(chunks) for chunks in per_lane), default=0)
    for k in range(longest):
        for chunks in per_lane:
            if k < len(chunks):
                yield chunks[k]


def chunk_example(nlp: Language, chunk: Chunk) -> Example:
    """An Example (predicted and reference: the same Doc) carrying the chunk's position."""
    doc = nlp.make_doc(chunk.text)
    doc.user_data.update({LANE: chunk.lane, RESET: chunk.reset, PREVIOUS: chunk.previous, END: chunk.end})
    return Example(doc, doc)


def read_texts(path: Union[str, Path], limit: int = 0) -> List[str]:
    """The non-empty texts of the Docs in a ``.spacy`` DocBin (the first ``limit`` when > 0)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"LM corpus not found: {path}")
    import spacy

    docs = DocBin().from_disk(path).get_docs(spacy.blank("xx").vocab)
    texts = [doc.text for doc in docs if doc.text]
    return texts[:limit] if limit > 0 else texts


@registry.readers("nlp_rnn.LMChunks.v1")
def create_lm_chunks_reader(
    path: Optional[Path],
    chunk_length: int = 128,
    lanes: int = 32,
    shuffle: bool = False,
    seed: int = 0,
    limit: int = 0,
) -> Callable[[Language], Iterator[Example]]:
    """Reader of ``path`` (a DocBin, one document per Doc) as lane-ordered chunks of
    ``chunk_length`` characters over ``lanes`` lanes; ``shuffle`` shuffles the documents at
    each pass (seeded with ``seed`` + pass number); ``limit`` keeps the first documents."""
    if path is None:
        raise ValueError("nlp_rnn.LMChunks.v1 needs a path: set [paths] train / dev")
    if lanes < 1 or chunk_length < 1:
        raise ValueError("lanes and chunk_length must be >= 1")
    cache: dict = {}
    passes = [0]

    def read(nlp: Language) -> Iterator[Example]:
        if "texts" not in cache:
            cache["texts"] = read_texts(path, limit)
        texts = list(cache["texts"])
        if shuffle:
            random.Random(seed + passes[0]).shuffle(texts)
        passes[0] += 1
        for chunk in interleave(lane_chunks(texts, lanes, chunk_length)):
            yield chunk_example(nlp, chunk)

    return read
