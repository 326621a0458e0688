"""Start-up cost control for the processes that kehoach runs.

jsonschema imports ``rfc3987_syntax`` eagerly when it is installed (it is, as part of the
JupyterLab stack, via ``jsonschema[format-nongpl]``), and that module builds about 35 Earley
parsers at import: roughly 0,8 s on this machine, paid by every process that imports Altair or
papermill (python-jsonschema/jsonschema#1428). kehoach never validates the ``iri`` /
``uri-reference`` formats that this module serves, so :func:`skip_rfc3987_grammar` marks the
module as unavailable *in the current process only*, before jsonschema is first imported.

Why this fix: it changes nothing installed (JupyterLab and jupyter-events keep their format
checks in their own processes), adds no dependency, and keeps licences clean — the alternative
that also avoids the grammar build, installing the GPL-licensed ``rfc3987`` package, would not.
If jsonschema was already imported, the call changes nothing.
"""

from __future__ import annotations

import sys


def skip_rfc3987_grammar() -> None:
    """Keep jsonschema from building the RFC 3987 grammar in this process (see the module doc)."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
