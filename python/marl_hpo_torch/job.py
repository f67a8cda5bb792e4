"""One evaluation of marl-hpo's trainer protocol (docs/TRAINERS.md): read <job>/job.json, train
the architecture on the arrays the tool wrote, write metrics.json and model.onnx."""
import json
import os
import sys
import time

import numpy as np
import torch

from .export import onnx_bytes, write_atomic
from .train import Split, train

JOB_VERSION = 1

# Arrays by path, kept for the life of the process: a persistent worker maps each split once.
_arrays = {}


def load_array(path):
    if path not in _arrays:
        _arrays[path] = np.load(path, mmap_mode="r")
    return _arrays[path]


def split_of(job, name):
    files = job["dataset"]["arrays"].get(name)
    if not files:
        raise ValueError(f"job.json: dataset.arrays.{name} is missing (the torch backend needs the dataset as .npy files)")
    return Split(load_array(files["x"]), load_array(files["y"]))


def pick_device(wanted):
    if wanted == "cuda" and not torch.cuda.is_available():
        raise ValueError("trainer.device: 'cuda' asked for, but torch.cuda.is_available() is false on this machine")
    if wanted in ("cuda", "auto") and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def read_job(folder):
    path = os.path.join(folder, "job.json")
    with open(path) as f:
        job = json.load(f)
    if job.get("version") != JOB_VERSION:
        raise ValueError(f"{path}: job version {job.get('version')!r}, this trainer reads version {JOB_VERSION}")
    return job


def run_job(folder, log=None):
    """Runs the job in `folder`; returns its metrics (also written to metrics.json), None when training diverged."""
    started = time.perf_counter()
    job = read_job(folder)
    recipe = job["recipe"]
    torch.set_num_threads(int(recipe.get("threads") or 1))
    device = pick_device(job.get("device", "auto"))
    ir = job["architecture"]
    net, metrics, info = train(ir, split_of(job, "train"), split_of(job, "val"), recipe, seed=job["seed"], device=device, log=log)
    out = job["outputs"]
    details = {**{k: v for k, v in info.items() if k != "trainSeconds"}, "pid": os.getpid()}

    def write_details(**more):
        write_atomic(os.path.join(folder, "train.json"), (json.dumps({**details, **more}) + "\n").encode())

    if "diverged" in info:
        write_details()
        # No model: the tool journals the evaluation as diverged (status 'diverged', reward 0).
        write_atomic(out["metrics"], (json.dumps({"trainSeconds": info["trainSeconds"]}) + "\n").encode())
        write_atomic(out["diverged"], (json.dumps(info["diverged"]) + "\n").encode())
        if log:
            log(f"job {folder}: diverged {info['diverged']}")
        return None
    exported = time.perf_counter()
    write_atomic(out["model"], onnx_bytes(net, ir["input"]))
    write_details(exportSeconds=time.perf_counter() - exported)
    result = {**metrics, "trainSeconds": info["trainSeconds"]}
    write_atomic(out["metrics"], (json.dumps(result) + "\n").encode())
    if log:
        log(f"job {folder}: {result}; export {time.perf_counter() - exported:.2f} s, total {time.perf_counter() - started:.2f} s on {device}")
    return result


def main(argv):
    if len(argv) != 1:
        sys.exit("usage: python3 -m marl_hpo_torch <job-folder>   (or --serve for the persistent worker)")
    run_job(argv[0], log=lambda line: print(line, file=sys.stderr, flush=True))
