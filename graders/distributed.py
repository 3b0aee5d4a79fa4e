"""Scale-out with dask.distributed: the same grading, spread over many machines (LocalCluster, SSH, Slurm).

Each Dask worker process is trusted grader code. It keeps one sandbox slot of its own and grades the
submissions it is given; what travels between processes is our own plain data (submission bytes in,
results.json dicts out), never an object from the student side. Grading is a pure function of the
submission, so a task whose worker dies is simply recomputed elsewhere.
"""
from __future__ import annotations

import os
import threading
from typing import Iterable, Iterator

from .model import Submission

__all__ = ["grade_on_cluster"]

_local = threading.local()


def _sandbox():
    """This worker's own slot, started on first use and kept for the worker's life."""
    if getattr(_local, "sandbox", None) is None:
        from .sandbox import Sandbox
        _local.sandbox = Sandbox(slot=os.getpid() % 900 + 100)
    return _local.sandbox


def _grade_task(assignment: str, submission: Submission, fingerprint: str) -> dict:
    from .batch import grade_safely
    from .suite import load_suite
    return grade_safely(load_suite(assignment), submission, _sandbox(), fingerprint)


def grade_on_cluster(address: str, assignment: str, work: Iterable[tuple[Submission, str]], *,
                     workers: int = 2) -> Iterator[dict]:
    """Yield results as they finish. `address` is a scheduler address, or "local" for a LocalCluster."""
    from distributed import Client, LocalCluster, as_completed
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) \
        if address == "local" else None
    with Client(cluster if cluster is not None else address) as client:
        futures = [client.submit(_grade_task, assignment, submission, fingerprint, pure=False, retries=2)
                   for submission, fingerprint in work]
        for future in as_completed(futures):
            yield future.result()
    if cluster is not None:
        cluster.close()
