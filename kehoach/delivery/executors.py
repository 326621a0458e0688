"""Where the notebook runs go: one ``concurrent.futures`` executor, local or on Dask distributed.

The only place that chooses. ``kehoach run`` hands every notebook run (a
:class:`kehoach.delivery.reportset.Job`) to the executor that :func:`open_executor` yields:

- no scheduler: a local pool of ``jobs`` processes (:func:`local_executor`), which dies with the
  command: stopped (SIGTERM, Ctrl-C), the command ends its workers, and a worker whose command
  was killed (SIGKILL) ends itself within a second. Their kernels are forked from the command's
  warm process (:mod:`kehoach.delivery.kernelpool`), which ends with the command, and each
  kernel follows it within a second (ipykernel's parent poller), so nothing is left running;
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
import multiprocessing
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from kehoach.core.errors import RunError, UsageError

log = logging.getLogger(__name__)

#: How long the client waits for a scheduler to answer before giving up (the message comes within 10 s).
CONNECT_TIMEOUT_S = 5
_ADDRESS = re.compile(r"^(tcp|tls)://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$")


def _start_worker(parent: int, kernels: tuple[str, int, dict[str, str]] | None) -> None:
    """In a pool worker: end this process as soon as the command that started it is gone (SIGKILLed), and take
    kernels from the command's warm process (:mod:`kehoach.delivery.kernelpool`)."""
    if kernels is not None:
        from kehoach.delivery import kernelpool

        kernelpool.attach(kernels)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="kehoach-parent-watch", daemon=True).start()


@contextmanager
def local_executor(workers: int) -> Iterator[cf.Executor]:
    """A pool of ``workers`` processes, started fresh (spawn): no lock or thread is inherited.

    Their kernels are forked from one warm process of this command's (:func:`kehoach.delivery.kernelpool.shared`).

    Leaving the block by an exception (Ctrl-C, SIGTERM, an error) cancels what has not started
    and terminates the workers at once instead of waiting for their notebooks to finish.
    """
    from kehoach.delivery import kernelpool

    kernels = kernelpool.shared().address if kernelpool.usable() else None
    before = set(multiprocessing.active_children())
    pool = cf.ProcessPoolExecutor(max_workers=max(1, workers), mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_start_worker, initargs=(os.getpid(), kernels))
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        for child in set(multiprocessing.active_children()) - before:
            child.terminate()
        for child in set(multiprocessing.active_children()) - before:
            child.join(timeout=5)
        raise
    pool.shutdown(wait=True)


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
        workers = jobs or os.cpu_count() or 1
        with local_executor(min(workers, tasks) if tasks else workers) as pool:
            yield pool
        return
    distributed = _import_distributed()
    if scheduler == "local":
        with _local_cluster(distributed, jobs) as client:
            yield client.get_executor(pure=False)
        return
    match = _ADDRESS.match(scheduler)
    if not match or not 1 <= int(match.group(3)) <= 65535:
        raise UsageError(f"Địa chỉ bộ điều phối '{scheduler}' không hợp lệ: ghi dạng tcp://MÁY:CỔNG (ví dụ tcp://10.0.0.5:8786) "
                         "hoặc 'local' để chạy một cụm Dask trên máy này.")
    unreachable = RunError(f"Không kết nối được bộ điều phối Dask {scheduler} trong {CONNECT_TIMEOUT_S} giây: địa chỉ đó "
                           "không có `dask scheduler` trả lời. Kiểm tra lệnh `dask scheduler` đang chạy trên máy đó, đúng "
                           "cổng, cổng mở trong tường lửa, rồi chạy lại.")
    _probe(scheduler, unreachable)
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError):
        raise unreachable from None
    try:
        log.info("connected to %s: %s", scheduler, client)
        yield client.get_executor(pure=False)
    finally:
        client.close()


def _probe(address: str, unreachable: RunError) -> None:
    """Ask ``address`` who it is, within :data:`CONNECT_TIMEOUT_S`; refuse anything but a Dask scheduler.

    distributed's own connect waits for a handshake that a server of another kind never sends,
    past its timeout; ``asyncio.wait_for`` bounds the whole exchange.
    """
    import asyncio

    from distributed.comm import connect

    async def identity() -> object:
        comm = await connect(address, timeout=CONNECT_TIMEOUT_S)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    try:
        answer = asyncio.run(asyncio.wait_for(identity(), CONNECT_TIMEOUT_S))
    except (OSError, TimeoutError, ValueError, EOFError) as exc:
        log.info("no Dask scheduler at %s: %r", address, exc)
        raise unreachable from None
    if not isinstance(answer, dict) or answer.get("type") != "Scheduler":
        raise unreachable


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
