"""Inference speed: ``nlp.pipe`` against the same torch model on pre-built tensors."""

import time
from typing import Dict, List

import spacy
import torch

from nlp_rnn.api import torch_module


def pipe_words_per_second(nlp, texts: List[str], batch_size: int = 256) -> Dict:
    """Words/s of ``nlp.pipe`` (tokenization included) after a warm-up batch."""
    list(nlp.pipe(texts[:batch_size], batch_size=batch_size))
    start = time.perf_counter()
    docs = list(nlp.pipe(texts, batch_size=batch_size))
    seconds = time.perf_counter() - start
    words = sum(len(doc) for doc in docs)
    return {"words": words, "seconds": seconds, "words_per_second": words / seconds}


def tensor_words_per_second(nlp, component: str, texts: List[str], batch_size: int = 256) -> Dict:
    """Words/s of the component's torch module alone, on id tensors built beforehand."""
    pipe = nlp.get_pipe(component)
    featurizer = pipe.model.attrs["featurizer"]
    module = torch_module(pipe.model)
    device = next(module.parameters()).device
    docs = list(nlp.tokenizer.pipe(texts))
    batches = []
    for i in range(0, len(docs), batch_size):
        ids, lengths = featurizer(docs[i : i + batch_size])
        batches.append((torch.from_numpy(ids).to(device), torch.from_numpy(lengths)))
    module.eval()
    with torch.no_grad():
        module(*batches[0])
        start = time.perf_counter()
        for ids, lengths in batches:
            module(ids, lengths)
        seconds = time.perf_counter() - start
    words = sum(len(doc) for doc in docs)
    return {"words": words, "seconds": seconds, "words_per_second": words / seconds}


def compare_throughput(model_dir, peer_dir, texts: List[str], component: str = "rnn_intent") -> Dict:
    """nlp.pipe vs pre-built tensors for our model, and nlp.pipe of the peer pipeline."""
    torch.set_num_threads(torch.get_num_threads())
    ours = spacy.load(model_dir)
    peer = spacy.load(peer_dir)
    result = {
        "rnn_pipe": pipe_words_per_second(ours, texts),
        "rnn_tensors": tensor_words_per_second(ours, component, texts),
        "spacy_textcat_pipe": pipe_words_per_second(peer, texts),
    }
    result["pipe_over_tensors"] = result["rnn_pipe"]["words_per_second"] / result["rnn_tensors"]["words_per_second"]
    result["rnn_over_spacy_textcat"] = result["rnn_pipe"]["words_per_second"] / result["spacy_textcat_pipe"]["words_per_second"]
    return result
