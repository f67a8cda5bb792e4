"""The training recipe of libs/trainer, in PyTorch: seeded initialisation and shuffling
(reshuffled every epoch), Adam or SGD (+momentum) on softmax cross-entropy (per pixel for
segmentation), the learning-rate schedule (linear warm-up, then cosine or constant), clipping
of the global gradient norm, at most `trainLimit` samples per epoch, validation after every
epoch, early stopping with the best weights restored, and a non-finite loss ending the run as
diverged. `trainSeconds` counts optimisation only (validation excluded), as the trainer does.
"""
import copy
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from .model import build

RECIPE_DEFAULTS = {
    "epochs": 2,
    "batchSize": 64,
    "optimizer": "adam",
    "learningRate": 1e-3,
    "momentum": 0.0,
    "schedule": "cosine",
    "warmup": 0.05,
    "clipNorm": 1.0,
    "init": "he",
    "patience": None,
    "trainLimit": None,
    "threads": 1,
}


def derive_seed(seed, label):
    """A seed per purpose (init, shuffle/<epoch>), stable across runs: FNV-1a of '<seed>/<label>'."""
    h = 0x811C9DC5
    for ch in f"{seed}/{label}".encode():
        h = ((h ^ ch) * 0x01000193) & 0xFFFFFFFF
    return h


def learning_rate_at(t, lr, total, warmup, kind):
    """Step t (1-based) of `total`: lr * t / W over the W = round(warmup * total) warm-up steps, then
    lr ('constant') or lr * (1 + cos(pi * (t - W - 1) / (total - W))) / 2 ('cosine')."""
    w = max(0, min(round(warmup * total), total - 1))
    if t <= w:
        return lr * t / w
    if kind == "constant":
        return lr
    progress = min(1.0, (t - w - 1) / max(1, total - w))
    return lr * (1 + math.cos(math.pi * progress)) / 2


class Metrics:
    """libs/trainer's MetricAccumulator: accuracy and mean cross-entropy; for segmentation pixel
    accuracy, mean IoU over the classes present (in labels or predictions) and per-pixel loss."""

    def __init__(self, task, classes):
        self.task, self.classes = task, classes
        self.correct = 0
        self.count = 0
        self.loss = 0.0
        self.tp = torch.zeros(classes, dtype=torch.float64)
        self.fp = torch.zeros(classes, dtype=torch.float64)
        self.fn = torch.zeros(classes, dtype=torch.float64)

    def add(self, logits, labels):
        if logits.dim() == 4:
            logits = logits.permute(0, 2, 3, 1).reshape(-1, self.classes)
        labels = labels.reshape(-1)
        logits = logits.double()
        self.loss += F.cross_entropy(logits, labels, reduction="sum").item()
        pred = logits.argmax(1)
        hit = pred == labels
        self.correct += int(hit.sum())
        self.count += labels.numel()
        c = self.classes
        self.tp += torch.bincount(labels[hit], minlength=c).double().cpu()
        self.fp += torch.bincount(pred[~hit], minlength=c).double().cpu()
        self.fn += torch.bincount(labels[~hit], minlength=c).double().cpu()

    def result(self):
        n = max(self.count, 1)
        if self.task == "classification":
            return {"accuracy": self.correct / n, "loss": self.loss / n}
        d = self.tp + self.fp + self.fn
        present = d > 0
        miou = float((self.tp[present] / d[present]).mean()) if present.any() else 0.0
        return {"pixelAccuracy": self.correct / n, "mIoU": miou, "loss": self.loss / n}


def score(metrics):
    return metrics["accuracy"] if "accuracy" in metrics else metrics["mIoU"]


class Split:
    """One split as arrays: x float32 NCHW (normalised), y int32 labels or H*W masks."""

    def __init__(self, x, y):
        self.x, self.y = x, y
        self.size = len(x)

    def batch(self, idx, device):
        idx = np.sort(idx)  # contiguous reads; the mean loss does not depend on the order
        x = torch.from_numpy(np.ascontiguousarray(self.x[idx]))
        y = torch.from_numpy(np.asarray(self.y[idx], dtype=np.int64))
        return x.to(device, non_blocking=True), y.to(device, non_blocking=True)


def evaluate(net, split, task, classes, batch_size, device):
    acc = Metrics(task, classes)
    net.eval()
    with torch.no_grad():
        for start in range(0, split.size, batch_size):
            x, y = split.batch(np.arange(start, min(start + batch_size, split.size)), device)
            acc.add(net(x), y)
    return acc.result()


def resolve_recipe(recipe):
    r = dict(RECIPE_DEFAULTS)
    r.update({k: v for k, v in (recipe or {}).items() if v is not None})
    if r["optimizer"] not in ("adam", "sgd"):
        raise ValueError(f"recipe.optimizer: expected 'adam' or 'sgd', got {r['optimizer']!r}")
    if r["schedule"] not in ("constant", "cosine"):
        raise ValueError(f"recipe.schedule: expected 'constant' or 'cosine', got {r['schedule']!r}")
    if r["init"] not in ("he", "glorot"):
        raise ValueError(f"recipe.init: expected 'he' or 'glorot', got {r['init']!r}")
    return r


def train(ir, train_split, val_split, recipe, seed=0, device="cpu", log=None):
    """Trains a fresh model of the IR; returns (net in eval mode, validation metrics, info)."""
    r = resolve_recipe(recipe)
    task, classes = ir["task"], ir["classes"]
    if train_split.size == 0:
        raise ValueError("dataset: the training split is empty")
    if val_split.size == 0:
        raise ValueError("dataset: the validation split is empty (metrics and early stopping are computed on it)")
    torch.manual_seed(derive_seed(seed, "torch"))
    net = build(ir, derive_seed(seed, "init"), r["init"]).to(device)
    params = [p for p in net.parameters() if p.requires_grad]
    lr = r["learningRate"]
    if r["optimizer"] == "adam":
        opt = torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8)
    else:
        opt = torch.optim.SGD(params, lr=lr, momentum=r["momentum"])
    limit = min(train_split.size, r["trainLimit"] or train_split.size)
    bs = r["batchSize"]
    total = r["epochs"] * math.ceil(limit / bs)
    step = 0
    train_seconds = 0.0
    history = []
    best = None
    diverged = None
    for epoch in range(1, r["epochs"] + 1):
        net.train()
        order = np.random.default_rng(derive_seed(seed, f"shuffle/{epoch}")).permutation(train_split.size)[:limit]
        loss_sum, steps = 0.0, 0
        started = time.perf_counter()
        for start in range(0, limit, bs):
            x, y = train_split.batch(order[start:start + bs], device)
            step += 1
            for group in opt.param_groups:
                group["lr"] = learning_rate_at(step, lr, total, r["warmup"], r["schedule"])
            out = net(x)
            loss = F.cross_entropy(out, y)
            value = loss.item()
            if not math.isfinite(value):
                # As the embedded trainer reports it (JavaScript's String(loss)).
                diverged = {"epoch": epoch, "step": step, "loss": "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"}
                break
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if r["clipNorm"] > 0:
                torch.nn.utils.clip_grad_norm_(params, r["clipNorm"])
            opt.step()
            loss_sum += value
            steps += 1
        if torch.device(device).type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - started
        train_seconds += seconds
        if diverged:
            break
        val = evaluate(net, val_split, task, classes, bs, device)
        history.append({"epoch": epoch, "loss": loss_sum / max(steps, 1), "samples": limit, "seconds": seconds, "val": val})
        if log:
            log(f"epoch {epoch}/{r['epochs']}: loss {loss_sum / max(steps, 1):.4f}, {limit / max(seconds, 1e-9):.0f} samples/s; val {val}")
        if r["patience"] is not None:
            if best is None or score(val) > best["score"]:
                best = {"score": score(val), "epoch": epoch, "state": copy.deepcopy(net.state_dict()), "metrics": val}
            elif epoch - best["epoch"] >= r["patience"]:
                break
    metrics = history[-1]["val"] if history else {}
    if best is not None and not diverged:
        net.load_state_dict(best["state"])
        metrics = best["metrics"]
    net.eval()
    info = {"trainSeconds": train_seconds, "epochs": len(history), "history": history, "steps": step, "device": str(device)}
    if diverged:
        info["diverged"] = diverged
    return net, metrics, info
