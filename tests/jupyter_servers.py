"""JupyterLab and Voilà on 127.0.0.1 for browser tests and the latency benchmark, and Debian's Chromium via Playwright.

Servers run in their own process group and are stopped by that PID (kernels included).
Chromium is never downloaded: Playwright drives ``/usr/bin/chromium``; where it is absent,
:data:`SKIP_REASON` says why the browser checks cannot run.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and Path(p).exists()), None)
VOILA_TEMPLATES = PROJECT / "kehoach" / "explore" / "share"  # the offline `kehoach` Voilà template
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def _skip_reason() -> str | None:
    if CHROMIUM is None:
        return "Debian's chromium is not installed (apt-get install -y chromium); the browser checks need it"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[test]')"
    return None


SKIP_REASON = _skip_reason()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    url: str
    log: Path
    token: str = ""
    extra: dict = field(default_factory=dict)

    def stop(self) -> None:
        """Stop the server and its kernels: SIGTERM to its process group (its PID), SIGKILL if it lingers."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)


def _env(workdir: Path) -> dict[str, str]:
    env = dict(os.environ, KEHOACH_ROOT=str(PROJECT), JUPYTER_CONFIG_DIR=str(workdir / "config"),
               JUPYTER_DATA_DIR=str(workdir / "data"), JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
               IPYTHONDIR=str(workdir / "ipython"), PYTHONUNBUFFERED="1")
    env["JUPYTER_PATH"] = os.pathsep.join([str(VOILA_TEMPLATES), str(BIN.parent / "share" / "jupyter")])
    return env


def _start(name: str, args: list[str], workdir: Path, probe: str | None, url: str, token: str = "",
           env: dict[str, str] | None = None) -> Server:
    """Start a server and wait until ``probe`` answers (``None``: until its port accepts connections)."""
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, cwd=workdir, env=env or _env(workdir), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    server = Server(name, proc, url, log, token)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if probe is None:
                port = int(url.rsplit(":", 1)[1])
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
            else:
                urllib.request.urlopen(probe, timeout=2).close()
            return server
        except OSError:
            time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"{name} did not answer on {probe}: {log.read_text(errors='replace')[-2000:]}")


NO_NEWS = '{"fetchNews": "false", "checkForUpdates": false}'


def start_lab(notebooks: Path, workdir: Path) -> Server:
    """JupyterLab on 127.0.0.1 over ``notebooks``, its settings in ``workdir``, with no update or news checks."""
    port, token = free_port(), secrets.token_hex(16)
    settings = workdir / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(NO_NEWS, encoding="utf-8")
    args = [str(BIN / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", f"--notebook-dir={notebooks}",
            f"--IdentityProvider.token={token}", f"--LabApp.user_settings_dir={workdir / 'settings'}",
            f"--LabApp.workspaces_dir={workdir / 'workspaces'}", "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--ServerApp.open_browser=False"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    base = f"http://127.0.0.1:{port}"
    return _start("jupyterlab", args, workdir, f"{base}/api/status?token={token}", base, token)


def start_voila(notebook: Path, workdir: Path, token: str | None = None, settings: tuple[str, ...] = ()) -> Server:
    """Voilà serving ``notebook`` on 127.0.0.1 as ``kehoach explore`` does (kehoach.explore.service), with any
    ``settings`` (command-line options) on top."""
    from kehoach.data.plan import load_plan
    from kehoach.explore.script import ensure_bundle
    from kehoach.explore.service import voila_command

    port = free_port()
    launch = voila_command(load_plan(), notebook.parent, ensure_bundle(), "127.0.0.1", port, token, _env(workdir))
    base = f"http://127.0.0.1:{port}"
    return _start("voila", [*launch.command, *settings], workdir, None, base, token or "", env=launch.env)


def launch_chromium(playwright):
    """Debian's Chromium, headless, no sandbox (containers), no background network."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def block_outside(context, requests: list[str]) -> None:
    """Refuse every request that does not go to this machine, and record it (nothing may be fetched)."""
    def route(r):
        url = r.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            r.continue_()
        else:
            requests.append(url)
            r.abort()

    context.route("**/*", route)


def run_all_in_lab(page, timeout: int = 120_000) -> None:
    """In an open notebook of JupyterLab: wait for the kernel, choose Run › Run All Cells, wait for the explorer."""
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout)
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=timeout)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    select = page.locator(".jp-Dialog .jp-mod-accept", has_text="Select")
    try:  # JupyterLab may still ask for the kernel when the session was slow to attach
        select.wait_for(timeout=1500)
        select.click()
    except Exception:  # noqa: BLE001 - no dialog: the usual case
        pass
    page.wait_for_selector(".kh-ready", state="attached", timeout=timeout)
    page.wait_for_selector(".kh-explorer .kh-chart svg >> visible=true", timeout=timeout)


def kernels_of(server: Server) -> list:
    """The kernel processes a server started (psutil), for counting them and their memory."""
    import psutil

    try:
        children = psutil.Process(server.proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [c for c in children if "ipykernel" in _cmdline(c)]


def _cmdline(proc) -> str:  # noqa: ANN001 - a psutil.Process
    """A process's command line, or "" once it has ended (a zombie not yet reaped has ended: its kernel is gone)."""
    import psutil

    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return ""


def memory_mb(server: Server) -> float:
    """Resident memory of the server and its kernels, in MB."""
    import psutil

    procs = [psutil.Process(server.proc.pid), *kernels_of(server)]
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 2**20
