"""One timed training run for ``benchmarks/train_speed.py``, in whichever checkout of nlp_rnn comes
first on ``PYTHONPATH`` (this commit or the commit before, so both are timed by the same code).

Prints one JSON line: ``init_seconds`` (config → initialized pipeline), ``loop_seconds`` (spaCy's
training loop from its first batch request to the final evaluation: the loop's own corpus reads,
batching, updates and evaluations), ``update_seconds`` (inside ``nlp.update``: featurizing, gold,
forward, loss, backward, optimizer), ``torch_seconds`` (the part of ``nlp.update`` inside the torch
module's forward, its loss and ``torch.autograd.backward``), ``eval_seconds`` and the steps run.
"""

import argparse
import json
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config", type=Path)
    parser.add_argument("--train", required=True)
    parser.add_argument("--dev", required=True)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--eval-frequency", type=int, default=200)
    parser.add_argument("--gpu-id", type=int, default=-1)
    args = parser.parse_args()

    import io

    import torch

    import nlp_rnn
    from nlp_rnn.architectures.torch_model import torch_module
    from nlp_rnn.cli.train import prepare_training
    from nlp_rnn.training.loop import train_pipeline

    overrides = {
        "paths.train": args.train, "paths.dev": args.dev,
        "training.max_steps": args.steps, "training.eval_frequency": args.eval_frequency,
        "training.patience": 0,
    }
    started = time.perf_counter()
    nlp = prepare_training(args.config, overrides, args.gpu_id)
    init_seconds = time.perf_counter() - started

    clock = {"update": 0.0, "torch": 0.0, "eval": 0.0, "in_update": False}

    def timed(function, key, only_in_update=False):
        def wrapper(*a, **k):
            if only_in_update and not clock["in_update"]:
                return function(*a, **k)
            begin = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                if args.gpu_id >= 0:
                    torch.cuda.synchronize()
                clock[key] += time.perf_counter() - begin
        return wrapper

    update = nlp.update

    def timed_update(*a, **k):
        clock["in_update"] = True
        try:
            return timed(update, "update")(*a, **k)
        finally:
            clock["in_update"] = False

    nlp.update = timed_update
    nlp.evaluate = timed(nlp.evaluate, "eval")
    for _, pipe in nlp.pipeline:
        model = getattr(pipe, "model", None)
        if model is not None and getattr(model, "layers", None):
            module = torch_module(model)
            module.forward = timed(module.forward, "torch", only_in_update=True)
            if hasattr(module, "loss"):
                module.loss = timed(module.loss, "torch", only_in_update=True)
    torch.autograd.backward = timed(torch.autograd.backward, "torch", only_in_update=True)

    begin = time.perf_counter()
    summary = train_pipeline(nlp, None, use_gpu=args.gpu_id, stdout=io.StringIO())
    loop_seconds = time.perf_counter() - begin
    print(json.dumps({
        "package": str(Path(nlp_rnn.__file__).parent),
        "steps": summary.final_step,
        "init_seconds": round(init_seconds, 3),
        "loop_seconds": round(loop_seconds, 3),
        "update_seconds": round(clock["update"], 3),
        "torch_seconds": round(clock["torch"], 3),
        "eval_seconds": round(clock["eval"], 3),
        "final_score": summary.final_score,
    }))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
