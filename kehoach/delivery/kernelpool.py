"""Kernels forked from a warm process: every notebook still runs in a new, clean kernel process.

Starting a kernel the usual way starts a new interpreter that imports IPython, ipykernel, pandas,
kehoach and Altair again, about 1,5 s of CPU for each notebook of a batch before its first cell.
A *warm process* pays that once per run (or per Dask worker):

- it imports those modules, runs nothing else, and waits on a private Unix socket;
- for each kernel, the kernel provisioner below asks it to ``fork``. The child sets its own process
  group, folder, environment and command line, then runs ``ipykernel_launcher`` exactly as
  ``python -m ipykernel_launcher -f …`` would.

So each notebook has a process of its own: no variable, module attribute, folder or setting of one
notebook reaches another (``tests/test_kernelpool.py`` checks this). The warm process only ever
imports; it never runs a notebook cell, opens no kernel socket and starts no thread, so what a
child inherits is what a fresh interpreter would have after the same imports.

The pool is used on Linux (``os.pidfd_open``) when the kernel's command is this interpreter's
``-m ipykernel_launcher`` and the job's environment imports from the same places. Otherwise, or
with ``KEHOACH_FRESH_KERNELS=1``, or if the warm process cannot start, a kernel is launched from
scratch as jupyter_client always does. The warm process ends when the process that started it
ends (its stdin closes), and its kernels end with it (ipykernel's parent poller).
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from jupyter_client import AsyncKernelManager
from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner

log = logging.getLogger(__name__)

#: What a report notebook imports; the warm process imports it once for all its kernels.
PRELOAD = ("ipykernel.kernelapp", "kehoach.reporting.context", "kehoach.reporting.sections", "altair")
#: Settings that decide where an interpreter imports from: a kernel whose environment differs on
#: any of them from the warm process's gets a kernel started from scratch.
IMPORT_SETTINGS = ("PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH", "PYTHONNOUSERSITE", "PYTHONUSERBASE",
                   "VIRTUAL_ENV", "PYTHONPLATLIBDIR")
#: Settings that keep the warm process to one thread, so that it forks safely: OpenBLAS (numpy) and
#: pyarrow's jemalloc each start threads when imported. Its kernels keep one BLAS thread.
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "JE_ARROW_MALLOC_CONF": "background_thread:false"}
#: Set to 1 to launch every kernel from scratch (slower; for comparing, or where fork misbehaves).
SWITCH = "KEHOACH_FRESH_KERNELS"
_READY_TIMEOUT_S = 120.0


# -- the warm process ----------------------------------------------------------------------------
def _serve(path: str) -> dict[str, Any] | None:
    """Import, then fork one child per request. Returns only in a child, with its request."""
    import gc
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the system; clients watch their pidfd
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
    gc.freeze()  # what is imported stays shared with the children instead of being copied by the collector
    while True:
        readable, _, _ = select.select([server, sys.stdin], [], [])
        if sys.stdin in readable and not os.read(sys.stdin.fileno(), 4096):
            return None  # the process that started this one has ended
        if server in readable:
            request = _fork_for(server)
            if request is not None:
                return request


def _fork_for(server: socket.socket) -> dict[str, Any] | None:
    """Answer one request with the pid of a new child; in that child, return the request."""
    conn, _ = server.accept()
    with conn:
        request = json.loads(_read_all(conn))
        pid = os.fork()
        if pid == 0:
            os.setpgid(0, 0)
            server.close()
            return request
        try:
            os.setpgid(pid, pid)  # also here, so that the group exists before the client may signal it
        except (ProcessLookupError, PermissionError):
            pass  # the child has set it already, or has already ended: the client finds out from its pidfd
        conn.sendall(json.dumps({"pid": pid}).encode())
    return None


def _read_all(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _become_kernel(request: dict[str, Any]) -> None:
    """In a fresh child: this kernel's signals, folder, environment and command, then ipykernel."""
    import runpy

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    with open(os.devnull, "rb") as null:
        os.dup2(null.fileno(), 0)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ["JPY_PARENT_PID"] = str(os.getppid())
    sys.path[0] = request["cwd"]  # as for ``python -m``: the folder the kernel starts in
    if "numpy.random" in sys.modules:  # the stdlib's random reseeds itself in a forked child; numpy's does not
        sys.modules["numpy.random"].seed()
    sys.argv = ["", *request["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)


def main(path: str) -> None:
    request = _serve(path)
    if request is not None:
        _become_kernel(request)


# -- the client side -----------------------------------------------------------------------------
class ForkedKernel:
    """A kernel process forked by the warm process, with the part of ``Popen`` jupyter_client uses.

    It is not this process's child: liveness comes from a pidfd (no race with a reused pid), and the
    exit status, which only its parent sees, is reported as 0 once it has ended.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._fd: int | None = os.pidfd_open(pid)

    def poll(self) -> int | None:
        if self.returncode is None and self._fd is not None and select.select([self._fd], [], [], 0)[0]:
            self._ended()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            select.select([self._fd], [], [], 0.1)
        return 0

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            signal.pidfd_send_signal(self._fd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def _ended(self) -> None:
        self.returncode = 0
        os.close(self._fd)
        self._fd = None


class WarmProcess:
    """A warm process (see the module's docstring), shared by the threads and worker processes that know its socket.

    :meth:`start` starts one owned by this process; :meth:`attach` uses one that another process
    (the command, for its local workers) started.
    """

    def __init__(self, path: str, pid: int, import_env: dict[str, str]) -> None:
        self.path, self.pid, self.import_env = path, pid, import_env
        self._pidfd = os.pidfd_open(pid)
        self._owned: tuple[subprocess.Popen, tempfile.TemporaryDirectory] | None = None

    @classmethod
    def start(cls, import_env: dict[str, str]) -> WarmProcess:
        folder = tempfile.TemporaryDirectory(prefix="kehoach-kernels-")
        path = str(Path(folder.name) / "pool.sock")
        env = {k: v for k, v in os.environ.items() if k not in IMPORT_SETTINGS and k != "JPY_PARENT_PID"}
        env |= import_env | {name: os.environ.get(name, value) for name, value in SINGLE_THREADED.items()}
        process = subprocess.Popen([sys.executable, "-m", __name__, path], stdin=subprocess.PIPE, cwd=folder.name, env=env)
        pool = cls(path, process.pid, import_env)
        pool._owned = (process, folder)
        return pool

    @classmethod
    def attach(cls, address: tuple[str, int, dict[str, str]]) -> WarmProcess:
        """The warm process at ``address`` (:attr:`address` of the one another process started)."""
        return cls(*address)

    @property
    def address(self) -> tuple[str, int, dict[str, str]]:
        return self.path, self.pid, self.import_env

    def alive(self) -> bool:
        return not select.select([self._pidfd], [], [], 0)[0]

    def fork(self, argv: list[str], env: dict[str, str], cwd: str) -> ForkedKernel:
        """A new kernel process running ``python -m ipykernel_launcher *argv`` in ``cwd`` with ``env``."""
        request = json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode()
        with self._connect() as conn:
            conn.sendall(request)
            conn.shutdown(socket.SHUT_WR)
            answer = _read_all(conn)
        if not answer:
            raise OSError("tiến trình khởi tạo kernel không trả lời")
        return ForkedKernel(json.loads(answer)["pid"])

    def _connect(self) -> socket.socket:
        """A connection, once the warm process has imported everything and listens (it binds only then)."""
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while True:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                conn.connect(self.path)
                return conn
            except (FileNotFoundError, ConnectionRefusedError):
                conn.close()
                if not self.alive() or time.monotonic() > deadline:
                    raise OSError("tiến trình khởi tạo kernel đã dừng") from None
                select.select([self._pidfd], [], [], 0.02)

    def close(self) -> None:
        """End the warm process if this process started it (kernels running keep running), and let it go."""
        if self._owned is not None:
            process, folder = self._owned
            process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            folder.cleanup()
        os.close(self._pidfd)


_pools: dict[tuple[tuple[str, str], ...], WarmProcess] = {}
_lock = threading.Lock()


def _key(env: dict[str, str] | os._Environ) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((name, env[name]) for name in IMPORT_SETTINGS if name in env))


def usable() -> bool:
    """Whether kernels may come from a warm process here (Linux, and not switched off)."""
    return hasattr(os, "pidfd_open") and os.environ.get(SWITCH) != "1"


def shared() -> WarmProcess:
    """This process's warm process for kernels that import as this process does, started if need be."""
    key = _key(os.environ)
    with _lock:
        pool = _pools.get(key)
        if pool is None or not pool.alive():
            if pool is not None:
                pool.close()
            pool = _pools[key] = WarmProcess.start(dict(key))
        return pool


def attach(address: tuple[str, int, dict[str, str]]) -> None:
    """In a worker process: use the warm process another process started (see :func:`shared`)."""
    pool = WarmProcess.attach(address)
    with _lock:
        _pools[_key(pool.import_env)] = pool


def for_kernel(argv: list[str], env: dict[str, str]) -> WarmProcess | None:
    """The warm process for a kernel launched with ``argv`` and ``env``, or None to launch it from scratch."""
    if not usable() or env.get(SWITCH) == "1" or argv[:3] != [sys.executable, "-m", "ipykernel_launcher"]:
        return None
    key = _key(env)
    with _lock:
        pool = _pools.get(key)
    if pool is not None and pool.alive():
        return pool
    return shared() if key == _key(os.environ) else None


def close_all() -> None:
    """End the warm processes this process started and let go of the others (the tests; exiting does it too)."""
    with _lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()


class PooledProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, with kernels forked from this process's warm process."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or Path.cwd())
        pool = for_kernel(cmd, env)
        if pool is not None:
            try:
                self.process = pool.fork(cmd[3:], env, cwd)
            except OSError as exc:
                log.warning("Không khởi tạo được kernel từ tiến trình sẵn sàng (%s): khởi động kernel mới từ đầu", exc)
            else:
                self.pid = self.pgid = self.process.pid
                self.cwd = cwd
                return self.connection_info
        return await super().launch_kernel(cmd, **kwargs)


class PooledKernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager with a :class:`PooledProvisioner` (nbclient's ``kernel_manager_class``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kernel_id = str(uuid.uuid4())
        self.provisioner = PooledProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)


if __name__ == "__main__":
    main(sys.argv[1])
