"""The ``kehoach`` command line. The only module that prints."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from kehoach import __version__
from kehoach.errors import KehoachError
from kehoach.plan import load_plan

log = logging.getLogger("kehoach")


def _plan_show(args: argparse.Namespace) -> int:
    plan = load_plan(args.plan)
    doc = plan.document
    print(f"{doc.title}")
    print(f"(Quyết định số {doc.decision_number} ngày {doc.decision_date:%d/%m/%Y} của {doc.issuing_body})")
    frame = plan.indicators
    for group in plan.groups:
        rows = frame[frame["group"] == group.code]
        print(f"\n{group.section}. {group.name} ({len(rows)} chỉ tiêu)")
        for row in rows.itertuples():
            print(f"  ({row.number}) {row.name}: {row.target_text}  [{row.unit_code}]")
    print("\nĐơn vị chủ trì:")
    for unit in plan.units:
        owned = frame.loc[frame["unit_code"] == unit.code, "number"].tolist()
        numbers = ", ".join(f"({n})" for n in owned) or "—"
        print(f"  {unit.code:<6} {unit.name}: {numbers}")
    return 0


def _report(args: argparse.Namespace) -> int:
    """The main job behind ``make report``. Until the quarterly run exists it shows the plan."""
    return _plan_show(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kehoach",
        description="Track the ward's yearly socio-economic plan: import unit reports, evaluate, build quarterly reports.",
    )
    parser.add_argument("--version", action="version", version=f"kehoach {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    parser.add_argument("--plan", type=Path, default=None, help="plan YAML file (default: the one in data/plan/)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    plan_cmd = sub.add_parser("plan", help="show the plan")
    plan_sub = plan_cmd.add_subparsers(dest="plan_command", required=True, metavar="ACTION")
    plan_sub.add_parser("show", help="print the indicators by group, with targets and responsible units").set_defaults(func=_plan_show)

    report = sub.add_parser("report", help="the main job: build the illustrative data if needed and run the quarterly reports")
    report.add_argument("--period", default="data-latest", help="2026-Q3, 'latest' (last ended quarter) or 'data-latest' (last quarter with data)")
    report.set_defaults(func=_report)

    for register in _REGISTRARS:
        register(sub)
    return parser


#: Other modules' sub-command registrars, each ``fn(subparsers)``.
_REGISTRARS: list = []


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except KehoachError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Đã dừng theo yêu cầu; dữ liệu đã lưu không bị thay đổi.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
