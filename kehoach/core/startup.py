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

Where it applies: kehoach's own processes only. The CLI calls :func:`skip_rfc3987_grammar`
at start; the notebook kernels that ``kehoach run`` starts inherit ``KEHOACH_SKIP_RFC3987=1``
and :mod:`kehoach.analysis.charts` calls :func:`apply_requested` before importing Altair. An
analyst's own kernel in JupyterLab has no such variable and is left exactly as installed.
"""

from __future__ import annotations

import os
import sys

#: Set by the quarterly run for the kernels it starts.
ENV_VAR = "KEHOACH_SKIP_RFC3987"


def skip_rfc3987_grammar() -> None:
    """Keep jsonschema from building the RFC 3987 grammar in this process (see the module doc)."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def apply_requested() -> None:
    """Apply :func:`skip_rfc3987_grammar` if this process was started by kehoach's run."""
    if os.environ.get(ENV_VAR) == "1":
        skip_rfc3987_grammar()
