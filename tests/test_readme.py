"""What README.md shows works: its Python example runs, every `kehoach` command it names parses, and the cheap
ones run here at smoke size (the notebook runs, sends and provinces are run by their own tests)."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from kehoach.cli import build_parser, main
from tests.conftest import PROJECT, make_workbench

README = (PROJECT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    """Every `kehoach …` command in README: in code blocks and in inline code, placeholders filled in."""
    found = re.findall(r"^\s*(?:\.venv/bin/)?kehoach (.+)$", "\n".join(re.findall(r"```(?:sh|bash|cron)\n(.*?)```", README, re.S)),
                       re.M)
    found += re.findall(r"`(?:\.venv/bin/)?kehoach ([a-z][^`]*)`", README)
    commands = []
    for text in found:
        text = text.split(" >>")[0].split("  #")[0].strip()
        text = re.sub(r"\s*\[[^]]*\]", "", text).replace("<tệp.xlsx>", "bieu.xlsx").replace("SCHEDULER", "10.0.0.5")
        commands.append(text)
    return sorted(set(commands))


def test_readme_names_the_commands_it_documents():
    commands = readme_commands()
    for expected in ("template --unit KTHT --period 2026-Q3", "run --period 2026-Q3", "send --period 2026-Q3 --dry-run",
                     "status --period 2026-Q3", "history --indicator 1", "plan diff 2026 2027"):
        assert expected in commands


@pytest.mark.parametrize("command", readme_commands())
def test_every_readme_command_parses(command):
    args = shlex.split(command.replace("~", "/tmp"))
    if len(args) == 1 or args[-1] in ("import", "send", "run", "diff"):  # a command named in passing, without arguments
        pytest.skip("named, not given")
    if "--help" in args:  # prints the command's help and exits 0
        with pytest.raises(SystemExit) as exit_:
            build_parser().parse_args(args)
        assert exit_.value.code == 0
        return
    build_parser().parse_args(args)  # argparse exits (status 2) on an option the command does not have


def test_readme_python_example_runs(monkeypatch):
    monkeypatch.delenv("KEHOACH_ROOT", raising=False)
    block = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - the README's own example
    evaluated = namespace["evaluated"]
    assert len(evaluated) == 36 and {"status", "value", "target"} <= set(evaluated.columns)


def test_the_cheap_readme_commands_run(tmp_path, monkeypatch, capsys):
    root = make_workbench(tmp_path / "wb")
    monkeypatch.setenv("KEHOACH_ROOT", str(root))
    monkeypatch.chdir(tmp_path)
    for command in ("plan show", "plan list", "template --unit KTHT --period 2026-Q3", "status --period 2026-Q3",
                    "history --indicator 1"):
        assert main(shlex.split(command)) == 0, command
    assert (tmp_path / "bieu-bao-cao_KTHT_2026-Q3.xlsx").exists()
    assert main(["import", "bieu-bao-cao_KTHT_2026-Q3.xlsx"]) == 1  # an empty form is refused, said clearly
    assert "biểu mẫu trống" in capsys.readouterr().err


def test_make_benchmark_runs_every_benchmark_with_options_its_script_takes():
    """`make benchmark` lists every script in benchmarks/ (tests/test_benchmarks.py runs each at smoke size), and
    passes each only options its script declares (it once passed quarterly_run.py a --province it has not)."""
    dry = subprocess.run(["make", "-n", "benchmark"], capture_output=True, text=True, cwd=PROJECT, check=True).stdout
    lines = [line.split() for line in dry.splitlines() if "benchmarks/" in line]
    assert {Path(parts[1]).name for parts in lines} == {p.name for p in (PROJECT / "benchmarks").glob("*.py")}
    for parts in lines:
        source = (PROJECT / parts[1]).read_text(encoding="utf-8")
        for option in (a for a in parts[2:] if a.startswith("--")):
            assert f'"{option}"' in source, (parts[1], option)
