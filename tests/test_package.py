"""The package's shape: layers that import one way, a public API that no module name shadows."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import kehoach
from tests.conftest import PROJECT

PACKAGE = PROJECT / "kehoach"
#: Each layer may import only itself and the layers before it.
LAYERS = ["core", "data", "analysis", "reporting", "delivery", "top"]


def _layer(module: str) -> str:
    """The layer of a module; the package root holds only the version and the lazy API, below everything."""
    if module in ("kehoach", "kehoach.__version__"):
        return "core"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "top"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PROJECT).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        out[name] = path
    return out


def _imports(path: Path) -> set[str]:
    """Every kehoach module a file imports, at any depth (function-level imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("kehoach")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kehoach"):
            found |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
    return found


def test_the_layers_are_there():
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(LAYERS[:-1]) | {"explore"}  # the explorer sits on top, beside the CLI


@pytest.mark.parametrize("module", sorted(m for m in _modules() if m != "kehoach"))
def test_no_module_imports_a_higher_layer(module):
    mine = LAYERS.index(_layer(module))
    modules = _modules()
    higher = sorted(i for i in _imports(modules[module]) if LAYERS.index(_layer(i)) > mine)
    assert higher == [], f"{module} imports {higher}"


def test_public_names_do_not_shadow_modules():
    modules = {name.split(".")[1] for name in _modules() if name.count(".") >= 1}
    assert not modules & set(kehoach.__all__)


@pytest.mark.parametrize("first", ["kehoach.analysis.narrative", "kehoach.analysis.evaluation", "kehoach.analysis.completeness",
                                   "kehoach.reporting.sections", "kehoach.delivery.batch", "kehoach.cli", "kehoach.explore"])
def test_api_works_whatever_was_imported_first(first):
    code = (f"import {first}\nimport kehoach\n"
            "plan = kehoach.load_plan()\nprogress = kehoach.load_progress()\n"
            "evaluated = kehoach.evaluate(plan, progress, '2026-Q3')\n"
            "assert len(evaluated) == 36, len(evaluated)\n"
            "assert callable(kehoach.completeness) and callable(kehoach.run_period)\n"
            "print('ok')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=PROJECT)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-1500:]


def test_report_cells_import_no_chart_or_schema_library_until_a_chart_is_built():
    """Altair, vl-convert and jsonschema load only where a chart is built or drawn; no module is masked."""
    code = ("import sys\nimport kehoach.reporting.sections\n"
            "print(sorted(m for m in ('altair', 'vl_convert', 'jsonschema', 'rfc3987_syntax') if m in sys.modules))\n"
            "from kehoach.analysis import charts\nimport pandas as pd\n"
            "charts._empty('x')\n"
            "print(sorted(m for m in ('altair', 'jsonschema') if m in sys.modules), sys.modules.get('rfc3987_syntax', 'absent'))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=PROJECT)
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert proc.stdout.splitlines() == ["[]", "['altair', 'jsonschema'] absent"]
