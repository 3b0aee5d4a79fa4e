"""Scale-out on dask.distributed: a LocalCluster grades like the threads do."""
from pathlib import Path

import pytest

from graders.batch import grade_class
from graders.load import load_submissions
from graders.suite import load_suite

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "kernel_attention"


@pytest.mark.slow
def test_local_cluster_gives_the_same_scores_as_threads(tmp_path):
    suite = load_suite("kernel_attention")
    submissions = [s for s in load_submissions([EXAMPLES], "kernel_attention")
                   if s.id in ("reference", "wrong-softmax-no-sqrt-d", "wrong-variance-sigma-squared")]
    threads = grade_class(suite, submissions, tmp_path / "threads", jobs=2, progress=False)
    cluster = grade_class(suite, submissions, tmp_path / "dask", jobs=2, progress=False, scheduler="local")
    assert [(r["submission"], r["score"]) for r in threads] == [(r["submission"], r["score"]) for r in cluster]
