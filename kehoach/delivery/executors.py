"""Where the notebook runs go: one ``concurrent.futures`` executor, local or on Dask distributed.

``kehoach run`` hands every notebook run (a :class:`kehoach.delivery.batch.Job`) to the executor
that :func:`open_executor` yields:

- no scheduler: a local pool of ``jobs`` processes (:func:`kehoach.delivery.batch.local_executor`);
- ``tcp://HOST:PORT``: the Dask scheduler at that address (``Client(address).get_executor()``);
- ``local``: a Dask ``LocalCluster`` of ``jobs`` single-threaded worker processes on this machine.

The batch code is the same for all three. A job carries the notebook and the bytes of the
period's input files; the worker returns the executed notebook and the HTML; only the client
writes ``reports/``. Workers therefore need the project installed (the same version, with its
kernel), not the client's disk. Dask is imported only here and only when a scheduler is given:
it is the optional extra ``distributed``.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from kehoach.core.errors import RunError

log = logging.getLogger(__name__)

#: How long the client waits for a scheduler to answer before giving up.
CONNECT_TIMEOUT_S = 20


def describe(scheduler: str | None, jobs: int | None) -> str:
    """A short Vietnamese description of where the notebooks run, for the command's output."""
    if not scheduler:
        return f"máy này, {jobs or os.cpu_count() or 1} tiến trình"
    if scheduler == "local":
        return f"cụm Dask cục bộ, {jobs or os.cpu_count() or 1} worker"
    return f"cụm Dask {scheduler}"


@contextmanager
def open_executor(scheduler: str | None = None, jobs: int | None = None, tasks: int | None = None) -> Iterator[cf.Executor]:
    """The executor for a run: a local process pool, a Dask cluster at ``scheduler``, or a local Dask cluster.

    ``jobs`` is the number of local processes (or of LocalCluster workers); ``tasks``, when
    given, caps the local pool so that no idle process is started.
    """
    if not scheduler:
        from kehoach.delivery.batch import local_executor

        workers = jobs or os.cpu_count() or 1
        with local_executor(min(workers, tasks) if tasks else workers) as pool:
            yield pool
        return
    distributed = _import_distributed()
    if scheduler == "local":
        with _local_cluster(distributed, jobs) as client:
            yield client.get_executor(pure=False)
        return
    if not scheduler.startswith(("tcp://", "tls://")):
        raise RunError(f"Địa chỉ bộ điều phối '{scheduler}' không hợp lệ: ghi dạng tcp://MÁY:CỔNG (ví dụ tcp://10.0.0.5:8786) "
                       "hoặc 'local' để chạy một cụm Dask trên máy này.")
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise RunError(f"Không kết nối được bộ điều phối Dask {scheduler} ({exc}). Kiểm tra lệnh `dask scheduler` đang chạy "
                       "trên máy đó, cổng mở trong tường lửa, rồi chạy lại.") from None
    try:
        log.info("connected to %s: %s", scheduler, client)
        yield client.get_executor(pure=False)
    finally:
        client.close()


def _import_distributed():  # noqa: ANN202 - the module, only when asked for
    try:
        import distributed
    except ImportError:
        raise RunError("Chạy với --scheduler cần gói Dask distributed. Cài bằng: pip install -e '.[distributed]' "
                       "(hoặc conda env create -f environment.yml), rồi chạy lại.") from None
    return distributed


@contextmanager
def _local_cluster(distributed, jobs: int | None) -> Iterator:  # noqa: ANN001
    workers = jobs or os.cpu_count() or 1
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                                  host="127.0.0.1") as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        yield client
