"""The view's state in the page address, so that a view can be bookmarked and sent.

A small anywidget keeps ``query`` (``ky=2026-Q3&nhom=YT&xem=so-sanh``) in step with the address's
fragment (``#…``), in Voilà only: in JupyterLab the address is the notebook's. When the page
opens with a fragment, the browser sends it to the kernel, which sets the controls; afterwards
every change of the view rewrites the fragment (``history.replaceState``: no reload, no extra
history entries). A fragment never reaches the server, so a token in the query string stays.
"""

from __future__ import annotations

import anywidget
import traitlets

ESM = """
function render({ model }) {
  if (document.body.dataset.voila === undefined) { return; }   // JupyterLab: leave the notebook's address alone
  const fromAddress = decodeURIComponent(window.location.hash.replace(/^#/, ""));
  if (fromAddress && fromAddress !== model.get("query")) {
    model.set("query", fromAddress);
    model.save_changes();
  }
  const write = () => {
    const query = model.get("query");
    history.replaceState(null, "", query ? "#" + query : window.location.pathname + window.location.search);
  };
  model.on("change:query", write);
  if (!fromAddress) { write(); }
}
export default { render };
"""


class UrlState(anywidget.AnyWidget):
    """The explorer's view as a query string, mirrored in the page address (Voilà)."""

    _esm = ESM
    query = traitlets.Unicode("").tag(sync=True)
