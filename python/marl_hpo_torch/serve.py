"""The persistent worker: one process per search worker serves many jobs, so torch is imported
and each dataset mapped once.

Protocol (one JSON object per line):
  worker -> tool, once at start:  {"type": "ready", "protocol": 1, "torch": "2.1.0", "cuda": false, "pid": 123}
  tool -> worker:                 {"type": "train", "id": 7, "job": "/abs/job-folder"}
  worker -> tool:                 {"type": "done", "id": 7, "seconds": 12.5}
                                  {"type": "failed", "id": 7, "error": "one line", "seconds": 0.1}
The job folder is the same as for a command trainer (job.json in; metrics.json and model.onnx
out). Replies go to the original stdout; anything else printed goes to stderr.

The tool starts this process in its own process group. When the tool goes away (its end of
stdin closes: exit, crash or SIGKILL), a reader thread kills the whole group at once, training
included, so no worker outlives the search.
"""
import json
import os
import queue
import signal
import sys
import threading
import time
import traceback

PROTOCOL = 1


def _watch_stdin(jobs):
    for line in sys.stdin:
        line = line.strip()
        if line:
            jobs.put(line)
    # EOF: the tool is gone. Kill our group (we are its leader) without cleaning up.
    try:
        os.killpg(os.getpgrp(), signal.SIGKILL)
    finally:
        os._exit(1)


def serve():
    reply_fd = os.dup(1)
    os.dup2(2, 1)  # stray prints (libraries, warnings) go to stderr, not into the protocol
    replies = os.fdopen(reply_fd, "w", buffering=1)

    def reply(obj):
        replies.write(json.dumps(obj) + "\n")
        replies.flush()

    import torch  # after the redirection: its import may print

    from .job import run_job

    jobs = queue.Queue()
    threading.Thread(target=_watch_stdin, args=(jobs,), daemon=True).start()
    reply({"type": "ready", "protocol": PROTOCOL, "torch": torch.__version__, "cuda": torch.cuda.is_available(), "pid": os.getpid()})

    def log(line):
        print(line, file=sys.stderr, flush=True)

    while True:
        line = jobs.get()
        try:
            msg = json.loads(line)
        except ValueError:
            log(f"marl_hpo_torch: ignoring a line that is not JSON: {line[:80]}")
            continue
        if msg.get("type") == "quit":
            return
        if msg.get("type") != "train":
            log(f"marl_hpo_torch: ignoring message type {msg.get('type')!r}")
            continue
        started = time.perf_counter()
        try:
            run_job(msg["job"], log=log)
            reply({"type": "done", "id": msg.get("id"), "seconds": time.perf_counter() - started})
        except Exception as e:  # noqa: BLE001 - every failure of a job is reported, the worker lives on
            traceback.print_exc(file=sys.stderr)
            sys.stderr.flush()
            first = (str(e).strip().splitlines() or [""])[0]
            reply({"type": "failed", "id": msg.get("id"), "error": f"{type(e).__name__}: {first}" if first else type(e).__name__, "seconds": time.perf_counter() - started})
