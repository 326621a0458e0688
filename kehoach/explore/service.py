"""The explorer as a service leaders can leave open: how ``kehoach explore`` (and ``make explore``) runs Voilà.

The settings that do not depend on the ward live in ``share/config/voila.json`` (read by Voilà):

* **one pre-warmed kernel** (``preheat_kernel``, pool of 1): the notebook has already run when
  the first leader opens the page, which is interactive within seconds; the pool refills after;
* **idle kernels culled, never a page's new kernel**: a kernel whose page is gone (closed
  without its shutdown call getting through: a crashed browser, a phone that went to sleep) is
  shut down after 60 s without activity, checked every 10 s; a page that stays open keeps its
  kernel (``cull_connected`` false); the pre-warmed kernel is never culled (Voilà's pool), nor
  is it culled in the moment it goes to a page (:class:`AppKernelManager`);
* **the page's shutdown call works**: Voilà's page sends its kernel's shutdown on ``beforeunload``
  with the value of the ``_xsrf`` cookie, which Voilà never sets, so the call was refused (403)
  and every closed view kept its kernel. :class:`PageIdentity` gives the page that cookie;
* **a Host check** (``allow_remote_access`` false): on 127.0.0.1 only requests addressed to
  ``127.0.0.1``/``localhost`` are answered, so a web page elsewhere cannot reach the app by
  DNS rebinding;
* **only the Lab extension the app needs** (``anywidget``): the other installed extensions are
  built for JupyterLab 4.6 while Voilà 0.5 ships JupyterLab 4.2, which filled the console with
  version warnings.

What depends on the plan, the workspace or the command line is added by :func:`voila_command`: the
page title and loading text from the plan, the chart libraries the page loads (bundled once per
workspace, :mod:`kehoach.explore.script`), the address, and the token. Bound to any address other than the
loopback, the app requires a token (given, or generated and printed) and the Host check is
lifted (the token guards it; the office's host name cannot be known in advance).
"""

from __future__ import annotations

import ipaddress
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from datetime import datetime, timezone

from jupyter_core.utils import ensure_async
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from voila.handler import VoilaHandler
from voila.voila_identity_provider import VoilaIdentityProvider

from kehoach.core.errors import UsageError
from kehoach.data.plan import Plan
from kehoach.explore import script

SHARE = Path(__file__).parent / "share"  # the `kehoach` Voilà template (JUPYTER_PATH)
CONFIG = SHARE / "config"  # voila.json
NOTEBOOK = "explore.ipynb"


class AppKernelManager(AsyncMappingKernelManager):
    """The server's kernel manager, whose idle time of a kernel starts when Voilà hands it to a page.

    The culler measures idleness from a kernel's last activity. A pre-warmed kernel has none from
    the moment it has run the notebook until its page connects, so a leader opening the app after
    a quiet minute got a kernel culled in the second before the page reached it: a page that never
    came alive. Voilà skips kernels still in its pool (its subclass of this class); a kernel is
    first seen here once it has left the pool, and its idle time counts from then.
    """

    def __init__(self, **kwargs) -> None:  # noqa: ANN003 - traitlets' settings
        super().__init__(**kwargs)
        self._released: dict[str, datetime] = {}

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        for gone in self._released.keys() - self._kernels.keys():
            del self._released[gone]
        released = self._released.setdefault(kernel_id, datetime.now(timezone.utc))
        kernel = self._kernels[kernel_id]
        if getattr(kernel, "last_activity", released) < released:
            kernel.last_activity = released
        await super().cull_kernel_if_idle(kernel_id)


class PageIdentity(VoilaIdentityProvider):
    """Voilà's identity provider that also gives the app's page its XSRF cookie.

    Reading ``handler.xsrf_token`` sets the ``_xsrf`` cookie (tornado) when the request has
    none; the page's shutdown call on ``beforeunload`` sends that value, so the kernel of a
    closed page is shut down at once instead of living on.
    """

    async def get_user(self, handler):  # noqa: ANN001, ANN201 - jupyter_server's signature
        user = await ensure_async(super().get_user(handler))
        if user is not None and isinstance(handler, VoilaHandler) and handler.request.method == "GET":
            handler.current_user = user  # what jupyter_server sets next; tornado's xsrf_token reads it
            handler.xsrf_token  # noqa: B018 - the property sets the cookie
        return user


def title(plan: Plan) -> str:
    """The page's title: "Theo dõi kế hoạch phát triển kinh tế - xã hội năm 2026 — phường Phan Đình Phùng"."""
    return f"Theo dõi kế hoạch phát triển kinh tế - xã hội năm {plan.year} — {plan.title_place}"


def is_loopback(ip: str) -> bool:
    """True for 127.0.0.1, ::1 and ``localhost``; an address that is not an IP address raises a Vietnamese error."""
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError as exc:
        raise UsageError(f"Địa chỉ “{ip}” không hợp lệ; dùng 127.0.0.1 (chỉ máy này) hoặc địa chỉ IP của máy "
                           "trong mạng nội bộ, ví dụ 192.168.1.10.") from exc


@dataclass(frozen=True)
class Launch:
    """What to run, and the address a leader opens."""

    command: list[str]
    url: str
    env: dict[str, str]


def voila_command(plan: Plan, notebooks: Path, bundle: Path, ip: str = "127.0.0.1", port: int = 8866,
                  token: str | None = None, base_env: dict[str, str] | None = None) -> Launch:
    """The Voilà command line serving ``notebooks/explore.ipynb`` with the app's settings.

    ``token`` is ignored on the loopback unless given; elsewhere one is required (a new one is
    made when none is given) and is part of the address to send. ``bundle`` is the workspace's
    bundle of the chart libraries (:func:`kehoach.explore.script.ensure_bundle`), which the page loads.
    """
    local = is_loopback(ip)
    if not local and not token:
        token = secrets.token_urlsafe(24)
    loading = f"Đang mở số liệu kế hoạch năm {plan.year} của {plan.title_place}…"
    args = [str(Path(sys.executable).parent / "voila"), str(notebooks / NOTEBOOK), f"--Voila.ip={ip}", f"--port={port}",
            "--no-browser", f"--Voila.config_file_paths={CONFIG}", f"--VoilaConfiguration.resources=kehoach_title={title(plan)}",
            f"--VoilaConfiguration.resources=kehoach_loading={loading}",
            f"--VoilaConfiguration.resources=kehoach_vega={bundle.name}"]
    if token:
        args.append(f"--Voila.token={token}")
    if not local:
        args.append('--Voila.tornado_settings={"allow_remote_access": true}')
    env = dict(base_env or {})
    env["JUPYTER_PATH"] = ":".join([str(SHARE), str(script.served_from(bundle))] + ([env["JUPYTER_PATH"]] if env.get("JUPYTER_PATH") else []))
    host = f"[{ip}]" if ":" in ip else ip
    return Launch(args, f"http://{host}:{port}/" + (f"?token={token}" if token else ""), env)
