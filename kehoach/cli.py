"""The ``kehoach`` command line. The only module that prints.

Everything it prints goes through :func:`say`, which escapes control characters (terminal
escape sequences, bidirectional overrides) so that text from data — a unit's note, a file
name — cannot drive the terminal. One handler in :func:`main` turns every error into a short
Vietnamese message: exit status 2 for a usage mistake, 1 for a failure, 130 after Ctrl-C and
143 after SIGTERM (handled like Ctrl-C: temporary files are removed, locks released). The
traceback of an unexpected error goes to a log file (``logs/kehoach-errors.log`` in the
workbench, else the temporary folder) and, with ``-v``, to the screen.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import errno
import logging
import os
import re
import signal
import sys
import tempfile
import traceback
from contextlib import ExitStack
from pathlib import Path

import pandas as pd

from kehoach import __version__
from kehoach.core import config
from kehoach.core.errors import KehoachError, PlanError, SubmissionError, UsageError
from kehoach.data.plan import Plan, find_plan, load_plan

log = logging.getLogger("kehoach")

# C0 and C1 controls except tab and newline, DEL, and the bidirectional and line/paragraph separators.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def escape_controls(text: object, keep_newlines: bool = True) -> str:
    """``text`` with control characters written as escapes (ESC → ``\\x1b``), safe for a terminal."""
    def sub(match: re.Match) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    out = _CONTROL.sub(sub, str(text))
    return out if keep_newlines else out.replace("\n", "\\n").replace("\t", "\\t")


def say(*parts: object, err: bool = False) -> None:
    """Print one line to stdout (or stderr) with control characters escaped."""
    print(" ".join(escape_controls(p) for p in parts), file=sys.stderr if err else sys.stdout)


def _field(text: object) -> str:
    """A value shown inside one line (a note, a file name): newlines escaped too."""
    return escape_controls(text, keep_newlines=False)


def _warn_outside_plan_year(plan, period, command: str) -> None:
    if period.year == plan.year:
        return
    if period.year == plan.year - 1:
        say(f"Lưu ý: kỳ {period} thuộc năm {period.year}, trước năm kế hoạch {plan.year}; "
            "số liệu kỳ này chỉ dùng để so sánh cùng kỳ.", err=True)
        return
    after = {"template": "biểu mẫu cho kỳ này sẽ bị từ chối khi nhập",
             "status": "không có số liệu nào được nhận cho kỳ này"}[command]
    raise UsageError(f"Kỳ {period} nằm ngoài năm kế hoạch {plan.year} (nhận các quý năm {plan.year} và "
                     f"năm {plan.year - 1} để so sánh); {after}. Kiểm tra lại --period.")


def _plan(args: argparse.Namespace, period: str | None = None) -> Plan:
    """The plan a command works on: ``--plan FILE``, else the one plan fitting ``--ward``/``--year``.

    Without ``--year``, a command about a period first tries that period's year, so that
    ``status --period 2027-Q1`` picks the 2027 plan in a workspace that also holds 2026.
    """
    if args.plan:
        return load_plan(args.plan)
    if args.year is None and period and period not in ("latest", "data-latest"):
        from kehoach.core.period import Period

        try:
            return find_plan(args.ward, Period.parse(period).year)
        except PlanError:
            pass
    return find_plan(args.ward, args.year)


def _plan_show(args: argparse.Namespace) -> int:
    plan = _plan(args)
    doc = plan.document
    say(f"{doc.title}")
    say(f"(Quyết định số {doc.decision_number} ngày {doc.decision_date:%d/%m/%Y} của {doc.issuing_body})")
    frame = plan.indicators
    for group in plan.groups:
        rows = frame[frame["group"] == group.code]
        say(f"\n{group.section}. {group.name} ({len(rows)} chỉ tiêu)")
        for row in rows.itertuples():
            say(f"  ({row.number}) {row.name}: {row.target_text}  [{row.unit_codes.replace(', ', '+')}]")
    say("\nĐơn vị chủ trì (sau dấu “+”: cùng chủ trì):")
    for unit in plan.units:
        owned = [ind for ind in plan.indicator_list if unit.code in ind.unit_codes]
        numbers = ", ".join(f"({i.number})" if i.unit_code == unit.code else f"(+{i.number})"
                            for i in sorted(owned, key=lambda i: i.number)) or "—"
        say(f"  {unit.code:<6} {unit.name}: {numbers}")
    return 0


def _template(args: argparse.Namespace) -> int:
    from kehoach.core.files import check_output
    from kehoach.data.forms import write_template
    from kehoach.core.period import Period
    from kehoach.data.years import progress_across_years

    plan = _plan(args, args.period)
    period = Period.parse(args.period)
    if args.unit not in {u.code for u in plan.units}:
        raise UsageError(f"Không có đơn vị “{args.unit}” trong kế hoạch. Các mã đơn vị: "
                         f"{', '.join(u.code for u in plan.reporting_units)} (xem `kehoach plan show`).")
    _warn_outside_plan_year(plan, period, "template")
    out = args.output or Path.cwd() / f"bieu-bao-cao_{args.unit}_{period}.xlsx"
    check_output(out, args.force, config.progress_dir(), "biểu mẫu")
    progress = progress_across_years(plan)
    write_template(plan, args.unit, period, out, progress=progress, lagging=_lagging(plan, progress, period))
    say(f"Đã tạo biểu mẫu cho {plan.unit(args.unit).name}, kỳ {period.label()}: {out}")
    return 0


def _import(args: argparse.Namespace) -> int:
    """Each file on its own, all or nothing: a refused file writes nothing and does not stop the others."""
    from kehoach.data.submission import file_key, import_file

    refused = 0
    for path in args.files:
        try:
            plan = _plan(args) if args.plan else _plan_for_file(args, path, file_key(path))
            result = import_file(path, plan, submitted_at=args.submitted_at, accept_outliers=args.accept_outliers)
        except SubmissionError as exc:
            refused += 1
            say(f"✗ {path.name}: {exc}", err=True)
            continue
        say(f"✓ {result.summary()}")
        for notice in result.notices:
            say(f"  Lưu ý: {notice}")
    if len(args.files) > 1 or refused:
        stored = len(args.files) - refused
        say(f"Kết quả: {stored} tệp đã nhập, {refused} tệp bị từ chối (tệp bị từ chối không ghi gì; "
            "sửa rồi nhập lại riêng tệp đó).", err=bool(refused))
    return 1 if refused else 0


def _date_arg(text: str) -> dt.date:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"“{text}” không phải ngày; viết 03/10/2026 hoặc 2026-10-03")


def _plan_for_file(args: argparse.Namespace, path: Path, key: tuple[str | None, int | None]) -> Plan:
    """A form says its ward and plan year (sheet _meta, or the CSV's columns): import into that plan."""
    ward, year = args.ward or key[0], args.year or key[1]
    return find_plan(ward, year)


def _plan_list(args: argparse.Namespace) -> int:
    from kehoach.data.plan import list_plans

    entries = list_plans()
    if not entries:
        say("Chưa có kế hoạch nào trong data/plan/. Nhập kế hoạch bằng `kehoach plan import TỆP`.")
        return 0
    say(f"{'Địa bàn':<20} {'Năm':<5} {'Số chỉ tiêu':>11}  Quyết định        Tệp")
    for e in entries:
        say(f"{e.ward:<20} {e.year:<5} {e.indicators:>11}  {e.decision_number:<17} {e.path.name}")
    return 0


def _plan_import(args: argparse.Namespace) -> int:
    from kehoach.core.files import MAX_YAML_BYTES, read_text
    from kehoach.data.plan import parse_plan
    from kehoach.data.planimport import import_plan, review, review_text

    if args.review and args.file.suffix.lower() in (".yaml", ".yml"):  # a draft being fixed by hand: what is left
        text = read_text(args.file, "bản nháp kế hoạch", MAX_YAML_BYTES)
        try:
            parse_plan(text, str(args.file))  # a hand edit may break the plan: said before the draft goes to data/plan/
        except PlanError:
            if review(text):  # what is left to review, then what is broken; never "reviewed" for a broken draft
                say(review_text(args.file, text))
            raise
        say(review_text(args.file, text))
        say("Đối chiếu lược đồ kế hoạch: hợp lệ.")
        return 0
    reference = None if args.no_reference else "auto"
    report = import_plan(args.file, output=args.output, reference=reference, force=args.force)
    say(report.summary())
    if args.review:
        say(review_text(report.output, report.output.read_text(encoding="utf-8")))
    say("Bước tiếp theo: xem lại các dòng “# KIỂM TRA:”, chuyển tệp vào data/plan/, "
          "rồi chạy `kehoach plan diff` để so với năm trước.")
    return 0


def _plan_diff(args: argparse.Namespace) -> int:
    from kehoach.data.plandiff import diff_plans

    old, new = find_plan(args.ward, args.old_year), find_plan(args.ward, args.new_year)
    say(diff_plans(old, new).text())
    return 0


def _history(args: argparse.Namespace) -> int:
    from kehoach.core.formatting import fmt_value
    from kehoach.core.period import VN_TZ
    from kehoach.data.store import history

    plan = _plan(args)
    if args.indicator not in {i.number for i in plan.indicator_list}:
        raise UsageError(f"Không có chỉ tiêu ({args.indicator}) trong kế hoạch năm {plan.year}; các chỉ tiêu từ (1) đến "
                         f"({max(i.number for i in plan.indicator_list)}) (xem `kehoach plan show`).")
    ind = plan.indicator(args.indicator)
    rows = history(args.indicator, plan.ward, plan.year)
    say(f"({ind.number}) {ind.name} — {plan.unit(ind.unit_code).name}")
    if rows.empty:
        say("  Chưa có số liệu nào.")
    for r in rows.itertuples():
        kind = "ước thực hiện" if r.is_estimate else "thực hiện"
        sent = r.submitted_at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")
        if r.submitted_at_source == "manual":
            sent = f"{r.submitted_at.astimezone(VN_TZ):%d/%m/%Y} (ngày gửi do văn phòng nhập tay)"
        note = f" — {_field(r.note)}" if isinstance(r.note, str) else ""
        mark = " [minh họa]" if r.illustrative is True else ""
        say(f"  {r.period} lần {r.revision}: {fmt_value(r.value, ind.unit)} ({kind}), {r.unit_code} gửi {sent}, "
            f"tệp {_field(r.source_file)}{mark}{note}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from kehoach.analysis.completeness import completeness
    from kehoach.core.parameters import load_parameters
    from kehoach.core.period import Period
    from kehoach.core.period import VN_TZ
    from kehoach.data.store import ProgressStore

    plan = _plan(args, args.period)
    period = Period.parse(args.period)
    _warn_outside_plan_year(plan, period, "status")
    params = load_parameters(period)
    records = ProgressStore().read(plan.ward, plan.year)
    table = completeness(plan, records, period, params.deadline)
    say(f"Tình hình gửi báo cáo {period.label()} (hạn gửi {params.deadline:%d/%m/%Y}):")
    for r in table.itertuples():
        sent = "" if r.timeliness == "not_submitted" else f", gửi {r.first_submitted_at.astimezone(VN_TZ):%d/%m/%Y}"
        missing = f"; còn thiếu chỉ tiêu {', '.join(f'({n})' for n in r.missing)}" if r.missing else ""
        say(f"  {r.unit_code:<6} {r.unit_name}: {r.timeliness_label}{sent}; {r.submitted}/{r.due} chỉ tiêu đến kỳ{missing}")
    for hook in _STATUS_HOOKS:
        hook(plan, records, period, params)
    return 0


def _print_indicator_status(plan, records, period, params) -> None:
    from kehoach.analysis.evaluation import evaluate
    from kehoach.core.formatting import fmt_value
    from kehoach.data.years import indicators_across_years, previous_plan, progress_across_years

    values = progress_across_years(plan)  # last year's figures by code, for a plan that renumbered
    evaluated = evaluate(indicators_across_years(plan, previous_plan(plan)), values, period, params.behind_threshold)
    say(f"\nĐánh giá các chỉ tiêu {period.label()}:")
    for r in evaluated.itertuples():
        shown = fmt_value(r.value, r.unit) if r.value == r.value else "—"
        estimate = " (ước)" if pd.notna(r.is_estimate) and r.is_estimate else ""
        say(f"  ({r.indicator}) {r.label}: {shown}{estimate} / {r.target_text} — {r.status_label} [{r.unit_code}]")


def _lagging(plan, values: pd.DataFrame, period, threshold: float | None = None) -> set[int]:
    """The indicators that lag as of their latest figure up to ``period`` (none outside the plan year)."""
    from kehoach.analysis.completeness import lagging_indicators
    from kehoach.analysis.evaluation import evaluate
    from kehoach.core.parameters import load_parameters
    from kehoach.core.period import Period
    from kehoach.data.years import indicators_across_years, previous_plan

    if period.year != plan.year:
        return set()
    threshold = load_parameters(period).behind_threshold if threshold is None else threshold
    quarters = [Period(period.year, q) for q in range(1, period.quarter + 1)]
    return lagging_indicators(evaluate(indicators_across_years(plan, previous_plan(plan)), values, quarters, threshold))


def _print_text_status(plan, records, period, params) -> None:
    """Per unit: whether its words for the period were sent, and which items are missing."""
    from kehoach.analysis.completeness import text_completeness
    from kehoach.data.store import latest_texts
    from kehoach.data.years import progress_across_years

    lagging = _lagging(plan, progress_across_years(plan), period, params.behind_threshold)
    table = text_completeness(plan, latest_texts(records), period, lagging)
    say(f"\nNội dung báo cáo của các đơn vị {period.label()} (sheet “Nội dung báo cáo” hoặc CSV):")
    for r in table.itertuples():
        state = "chưa gửi nội dung nào" if not r.sent else f"đã gửi {r.sent} mục" + (", đủ các mục cần có" if r.complete else "")
        missing = [", ".join(f"“{label}”" for label in r.missing_items)] if r.missing_items else []
        if r.missing_indicators:
            missing.append("nguyên nhân, giải pháp của chỉ tiêu chậm tiến độ " + ", ".join(f"({n})" for n in r.missing_indicators))
        if r.missing_tasks:
            missing.append("kết quả nhiệm vụ " + ", ".join(r.missing_tasks))
        say(f"  {r.unit_code:<6} {r.unit_name}: {state}" + (f"; còn thiếu {'; '.join(missing)}" if missing else ""))


#: Extra sections of ``kehoach status``, each ``fn(plan, records, period, params)``.
_STATUS_HOOKS: list = [_print_indicator_status, _print_text_status]


def _sample(args: argparse.Namespace) -> int:
    from kehoach.data.sample import build_sample

    if args.province:
        return _sample_province(args)
    plan = _plan(args)
    messages = build_sample(plan, force=args.force)
    for message in messages:
        say(message)
    return 0


def _sample_province(args: argparse.Namespace) -> int:
    """``sample-data --province N``: a synthetic province in the workspace given by --root or KEHOACH_ROOT."""
    from kehoach.core.errors import StoreError
    from kehoach.delivery.bundles import build_province

    if not args.root and not os.environ.get("KEHOACH_ROOT"):
        raise StoreError("Tỉnh minh họa là một không gian làm việc riêng: chọn thư mục bằng --root THƯ_MỤC "
                         "(hoặc đặt biến môi trường KEHOACH_ROOT), ví dụ: kehoach --root ~/tinh-minh-hoa sample-data --province 92.")
    base = load_plan(config.PACKAGE_DIR.parent / "data" / "plan" / "phan-dinh-phung-2026.yaml")
    for message in build_province(args.province, config.project_root(), base, force=args.force):
        say(message)
    return 0


def _bundle(args: argparse.Namespace) -> int:
    """``bundle --period P``: the commune's quarter as ``<commune>_<period>.zip``, to send to the province."""
    from kehoach.core.files import check_output
    from kehoach.data.bundle import bundle_name
    from kehoach.delivery.bundles import make_bundle

    period = args.period
    root = config.project_root()
    plan = _plan(args, str(period))
    say(f"Đóng gói số liệu của {plan.title_place} (mã {plan.ward}, thư mục làm việc {root}).")
    here = Path.cwd().resolve()
    if not args.root and not os.environ.get("KEHOACH_ROOT") and here != root and (here / "data" / "plan").is_dir():
        say(f"Lưu ý: thư mục hiện tại {here} có vẻ là không gian làm việc của một xã, phường khác, nhưng lệnh không có "
            f"--root nên đóng gói {root}. Nếu cần gói của thư mục hiện tại: kehoach --root {here} bundle --period {period}",
            err=True)
    out = args.output or Path.cwd() / bundle_name(plan.ward, period)
    check_output(out, args.force, config.progress_dir(), "gói số liệu")
    manifest = make_bundle(plan, period, out)
    say(f"Đã đóng gói số liệu {period.label()} của {plan.title_place} (kế hoạch {manifest.decision_number}): "
        f"{manifest.records} bản ghi chỉ tiêu, nhiệm vụ và {manifest.texts} mục nội dung báo cáo (mọi lần sửa) → {out}")
    say("Gửi tệp này cho tỉnh; tỉnh nhập bằng `kehoach --root THƯ_MỤC_TỈNH province import` (gói hỏng khi truyền, hoặc có "
        "nội dung trái với kế hoạch trong gói, sẽ bị từ chối).")
    return 0


def _province_import(args: argparse.Namespace) -> int:
    """``province import ZIP…``: each bundle checked whole and stored all or nothing, reported on its own line."""
    from kehoach.core.errors import KehoachError
    from kehoach.data.bundle import import_bundle, load_province_list

    load_province_list(config.data_dir())  # not a province: said once
    taken, unchanged, refused = 0, 0, 0
    for path in args.files:  # each on its own, in the order given, said as soon as it is done
        try:
            outcome = import_bundle(config.data_dir(), path, force=args.force)
        except KehoachError as exc:
            refused += 1
            say(f"✗ {exc}", err=True)
            continue
        say(f"✓ {outcome.summary()}")
        if outcome.outcome == "unchanged":
            unchanged += 1
        else:
            taken += 1
    if len(args.files) > 1 or refused:
        again = f", {unchanged} gói đã nhập trước đây (không đổi gì)" if unchanged else ""
        say(f"Kết quả: {taken} gói đã nhận{again}, {refused} gói bị từ chối (gói bị từ chối không làm thay đổi số liệu "
            "của tỉnh).", err=bool(refused))
    return 1 if refused else 0


def _province_status(args: argparse.Namespace) -> int:
    """``province status --period P``: every commune of the province, whether its bundle arrived, and who is late."""
    from kehoach.core.period import VN_TZ
    from kehoach.data.bundle import load_province_list, province_status, status_deadline

    period = args.period
    plist = load_province_list(config.data_dir())
    deadline, source = status_deadline(period, config.parameters_dir())
    table = province_status(config.data_dir(), period, deadline)
    say(f"Tình hình nhận gói số liệu {period.label()} của các xã, phường tỉnh {plist.province} (hạn gửi {deadline:%d/%m/%Y}):")
    say(f"  ({source[0].upper()}{source[1:]}.)")
    for r in table.itertuples():
        if r.arrived:
            forced = ", nhập với --force" if r.forced else ""
            say(f"  {r.commune_name}: {r.state}, nhận {r.received_at.astimezone(VN_TZ):%H:%M %d/%m/%Y} (lần {r.revision}{forced}); "
                f"{r.units_complete}/{r.units} đơn vị báo cáo đủ, {r.units_on_time}/{r.units} đúng hạn")
        else:
            say(f"  {r.commune_name}: {r.state}")
    late = table[table["late"]]
    say(f"{int(table['arrived'].sum())}/{len(table)} xã, phường đã gửi; trễ hạn: "
        + (", ".join(late["commune_name"]) if len(late) else "không có") + ".")
    return 0


def _store_rebuild(args: argparse.Namespace) -> int:
    """``store rebuild``: every store (or those of --ward/--year) built again from its archive alone."""
    from kehoach.data.store import ProgressStore

    store = ProgressStore()
    found = store.stores(getattr(args, "ward", None), getattr(args, "year", None))
    if not found:
        say(f"Không có kho số liệu nào trong {store.root}.")
        return 0
    for ward, year in found:
        r = store.rebuild(ward, year)
        say(f"✓ {ward}/{year}: đã dựng lại {r.records} bản ghi từ {r.imports} lần nhập trong kho lưu trữ "
            f"({store.records_path(ward, year)}).")
        if r.set_aside:
            say(f"  Cơ sở dữ liệu cũ không đọc được, đã chuyển sang {r.set_aside}.")
        for name in r.missing_originals:
            say(f"  Lưu ý: thiếu bản gốc {_field(name)} (số liệu vẫn dựng từ hồ sơ lần nhập); khôi phục từ bản sao lưu nếu có.", err=True)
        for name in r.changed_originals:
            say(f"  Cảnh báo: bản gốc {_field(name)} đã bị thay đổi so với lúc nhập; khôi phục từ bản sao lưu.", err=True)
    return 0


def _export(args: argparse.Namespace) -> int:
    """``export``: every stored revision of a plan's ward and year as a CSV for the analyst (formula-safe)."""
    from kehoach.core.files import check_output
    from kehoach.core.sheets import write_csv
    from kehoach.data.store import ProgressStore

    plan = _plan(args)
    out = args.output or Path.cwd() / f"so-lieu_{plan.ward}_{plan.year}.csv"
    check_output(out, args.force, config.progress_dir(), "tệp CSV")
    records = ProgressStore().read(plan.ward, plan.year)
    write_csv(records, out)
    say(f"Đã ghi {len(records)} bản ghi (mọi lần sửa) của {plan.title_place} năm {plan.year} vào {out}.")
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” không phải số nguyên") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"cần một số nguyên dương, không phải {value}")
    return value


def _period_arg(text: str):
    """``--period`` of the commands that take one quarter: parsed once into a Period."""
    from kehoach.core.errors import PeriodError
    from kehoach.core.period import Period

    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _run(args: argparse.Namespace) -> int:
    from kehoach.delivery.batch import run_period

    if args.ward == "all":
        return _run_all(args)
    result = run_period(args.period, jobs=args.jobs, show_progress=not args.quiet, as_of=args.as_of, ward=args.ward,
                        scheduler=args.scheduler, only_failed=args.only_failed, force=args.force)
    if result.skipped:
        say(f"Số liệu, kế hoạch, tham số và sổ tính không đổi từ lần chạy trước, không có báo cáo nào lỗi: giữ nguyên "
            f"{result.folder} (thêm --force để lập lại).")
    return _report_result(result)


def _run_all(args: argparse.Namespace) -> int:
    """``--ward all``: every commune's reports, then the province report."""
    from kehoach.delivery.executors import describe
    from kehoach.delivery.province import run_all_wards

    if not args.quiet:
        say(f"Lập báo cáo của mọi xã, phường và báo cáo tỉnh; chạy trên {describe(args.scheduler, args.jobs)}.")
    result = run_all_wards(args.period, jobs=args.jobs, scheduler=args.scheduler, only_failed=args.only_failed,
                           show_progress=not args.quiet, as_of=args.as_of, force=args.force)
    for ward, error in result.errors.items():
        say(f"  ✗ {ward}: {error}", err=True)
    for ward, r in result.failed:
        say(f"  ✗ {ward}: {r.title} LỖI ở {r.error}; notebook đã chạy: {result.folder / ward / r.executed}", err=True)
    done = sum(1 for rs in result.communes.values() for r in rs if r.outcome == "ok")
    say(f"{len(result.communes)} xã, phường đã lập báo cáo ({done} báo cáo thành công), {len(result.skipped)} giữ nguyên; "
        f"{result.executed} lượt chạy sổ tính.")
    if result.province is not None and result.province.outcome == "ok":
        say(f"Báo cáo tỉnh: {result.folder / 'tinh' / result.province.html}")
    say(f"Báo cáo kỳ {result.period}: {result.folder / 'index.html'}")
    return _exit_status(len(result.failed) + len(result.errors), "báo cáo bị lỗi; chạy lại bằng --only-failed sau khi sửa.")


def _report_result(result) -> int:
    for r in result.results:
        if r.outcome == "ok":
            say(f"  ✓ {r.title}: {result.folder / r.html} ({r.duration_s:.1f} s)")
        else:
            say(f"  ✗ {r.title} ({r.notebook}) LỖI ở {r.error}; notebook đã chạy: {result.folder / r.executed}",
                  err=True)
    say(f"Báo cáo kỳ {result.period}: {result.folder / 'index.html'}")
    return _exit_status(len(result.failed), "báo cáo bị lỗi; xem các dòng ✗ ở trên.")


def _exit_status(failed: int, message: str) -> int:
    """0 when nothing failed; otherwise say how many failed and return 1."""
    if failed:
        say(f"{failed} {message}", err=True)
        return 1
    return 0


def _send(args: argparse.Namespace) -> int:
    from kehoach.delivery.mail import send_period

    result = send_period(args.period, dry_run=args.dry_run, as_zip=args.zip, resend=args.resend,
                         settings_file=_inside_workspace(args.recipients, "--recipients"), ward=args.ward, unknown=args.unknown)
    for item in result.items:
        files = ", ".join(p.name for p in item.attachments)
        if item.outcome == "failed":
            say(f"  ✗ {item.recipient.email}: {item.error}", err=True)
        elif item.outcome == "unknown":
            say(f"  ? {item.recipient.email}: không rõ đã gửi tới chưa ({item.error})", err=True)
        else:
            label = {"sent": "đã gửi", "skipped": "đã gửi trước đây, bỏ qua", "written": "đã ghi .eml"}[item.outcome]
            say(f"  {'✓' if item.outcome != 'skipped' else '·'} {item.recipient.email}: {label} ({files})")
    for warning in result.warnings:
        say(warning, err=True)
    if result.outbox:
        say(f"Thư chưa gửi, xem tại: {result.outbox}")
    return _exit_status(len(result.failed), "thư chưa gửi được hoặc không rõ đã tới chưa; xem các dòng ✗ và ? ở trên.")


def _inside_workspace(path: Path | None, option: str) -> Path | None:
    """A path option that names part of the workspace: refused when it resolves outside it."""

    if path is None:
        return None
    root = config.project_root().resolve()
    full = (path if path.is_absolute() else Path.cwd() / path).resolve()
    if not full.is_relative_to(root):
        raise UsageError(f"{option} {path}: phải là một tệp trong không gian làm việc {root} (ví dụ parameters/recipients.yaml).")
    return full


def _ward_arg(text: str) -> str:
    """``--ward``: a ward code (letters, digits, hyphens) or ``all``; never a path such as ``../2026-Q3``."""
    from kehoach.delivery.mail import WARD_CODE

    text = text.strip()
    if text != "all" and not WARD_CODE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"“{text}” không phải mã địa bàn (chữ thường không dấu, số, dấu gạch ngang, "
                                         "ví dụ phan-dinh-phung; xem `kehoach plan list`)")
    return text


def _report(args: argparse.Namespace) -> int:
    """The main job behind ``make report``: make sure there is data, then run the period's batch."""
    from kehoach.data.store import ProgressStore
    from kehoach.delivery.batch import run_period
    from kehoach.data.sample import build_sample

    plan = _plan(args, args.period)
    if not ProgressStore().stores(plan.ward, plan.year):  # a missing database is rebuilt from the archive on first read
        say("Chưa có số liệu; đang tạo bộ số liệu minh họa (Số liệu minh họa)...")
        build_sample(plan)
    _plan_summary(plan)
    return _report_result(run_period(args.period, jobs=args.jobs, show_progress=True, as_of=args.as_of, ward=args.ward))


def _explore(args: argparse.Namespace) -> int:
    """Serve the explorer with Voilà (this process becomes Voilà; Ctrl+C stops it)."""
    from kehoach.explore.script import ensure_bundle
    from kehoach.explore.service import voila_command

    env = os.environ | {"KEHOACH_ROOT": str(config.project_root())}  # Voilà's kernels work in this workspace
    launch = voila_command(_plan(args), config.notebooks_dir(), ensure_bundle(), args.ip, args.port, args.token, env)
    say(f"Ứng dụng theo dõi kế hoạch: {launch.url}")
    say("Gửi địa chỉ trên (kèm mã truy cập) cho lãnh đạo; bấm Ctrl+C để dừng." if args.token or "token=" in launch.url
        else "Chỉ mở được trên máy này; bấm Ctrl+C để dừng.")
    sys.stdout.flush()
    os.execve(launch.command[0], launch.command, launch.env)
    return 0  # not reached: execve replaces this process


def _plan_summary(plan) -> None:
    doc = plan.document
    say(f"{doc.title} (Quyết định số {doc.decision_number}): {len(plan.indicator_list)} chỉ tiêu, "
          f"{len(plan.groups)} nhóm, {len(plan.reporting_units)} đơn vị báo cáo.")


def build_parser() -> argparse.ArgumentParser:
    """The ``kehoach`` parser: every help text, heading and usage error in Vietnamese (see :class:`_Parser`)."""
    parser = _Parser(
        prog="kehoach",
        description="Theo dõi kế hoạch phát triển kinh tế - xã hội hằng năm của phường: nhập báo cáo của các đơn vị, "
                    "đánh giá chỉ tiêu, lập báo cáo quý.",
    )
    parser.add_argument("--version", action="version", version=f"kehoach {__version__}", help="in số phiên bản rồi thoát")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="in thêm chi tiết khi chạy (khi có lỗi: cả chi tiết kỹ thuật)")
    parser.add_argument("--plan", type=Path, default=None, metavar="TỆP",
                        help="tệp kế hoạch YAML (mặc định: tệp phù hợp với --ward/--year trong data/plan/)")
    parser.add_argument("--ward", type=_ward_arg, default=None, metavar="MÃ_ĐỊA_BÀN",
                        help="mã địa bàn, ví dụ phan-dinh-phung (cần khi data/plan/ có kế hoạch của nhiều địa bàn)")
    parser.add_argument("--year", type=int, default=None, metavar="NĂM",
                        help="năm kế hoạch (cần khi một địa bàn có kế hoạch của nhiều năm)")
    parser.add_argument("--root", type=Path, default=None, metavar="THƯ_MỤC",
                        help="thư mục làm việc (chứa data/, parameters/, reports/); mặc định: $KEHOACH_ROOT "
                             "hoặc thư mục dự án")
    sub = parser.add_subparsers(dest="command", required=True, metavar="LỆNH", title="Lệnh",
                                description="xem hướng dẫn của từng lệnh: kehoach LỆNH --help")

    plan_cmd = _command(sub, "plan", "kế hoạch: xem, liệt kê, nhập từ quyết định, so sánh hai năm")
    plan_sub = plan_cmd.add_subparsers(dest="plan_command", required=True, metavar="THAO_TÁC", title="Thao tác")
    _command(plan_sub, "show", "in các chỉ tiêu theo nhóm, kèm mục tiêu và đơn vị chủ trì").set_defaults(func=_plan_show)
    _command(plan_sub, "list", "liệt kê các kế hoạch trong data/plan/ (địa bàn, năm, số chỉ tiêu, quyết định)"
             ).set_defaults(func=_plan_list)
    plan_import = _command(plan_sub, "import", "đọc quyết định giao kế hoạch (.docx, .txt, .pdf) thành bản nháp "
                                               "kế hoạch YAML để rà soát")
    plan_import.add_argument("file", type=Path, metavar="TỆP",
                             help="quyết định giao kế hoạch: .docx, .txt hoặc .pdf có lớp chữ (với --review: "
                                  "có thể là bản nháp .yaml)")
    plan_import.add_argument("-o", "--output", type=Path, metavar="TỆP",
                             help="bản nháp YAML sẽ ghi (mặc định: ĐỊA_BÀN-NĂM.yaml cạnh tệp quyết định)")
    plan_import.add_argument("--force", action="store_true", help="ghi đè bản nháp đã có")
    plan_import.add_argument("--review", action="store_true",
                             help="liệt kê mọi chỗ cần kiểm tra (# KIỂM TRA) kèm số dòng; nếu TỆP là bản nháp .yaml "
                                  "thì chỉ liệt kê")
    plan_import.add_argument("--no-reference", action="store_true",
                             help="không lấy mã chỉ tiêu từ kế hoạch trước của địa bàn trong data/plan/")
    plan_import.set_defaults(func=_plan_import)
    plan_diff = _command(plan_sub, "diff", "so sánh kế hoạch hai năm: chỉ tiêu thêm mới, bỏ, đổi tên, đổi mục tiêu")
    plan_diff.add_argument("old_year", type=int, metavar="NĂM_CŨ", help="năm kế hoạch cũ, ví dụ 2026")
    plan_diff.add_argument("new_year", type=int, metavar="NĂM_MỚI", help="năm kế hoạch mới, ví dụ 2027")
    plan_diff.set_defaults(func=_plan_diff)

    period = "kỳ báo cáo, ví dụ 2026-Q3"
    no_store = "ghi đè tệp đã có (không bao giờ ghi đè tệp trong kho số liệu hay một thiết bị)"
    template = _command(sub, "template", "tạo biểu mẫu Excel báo cáo của một đơn vị cho một kỳ")
    template.add_argument("--unit", required=True, metavar="MÃ_ĐƠN_VỊ", help="mã đơn vị, ví dụ KTHT (xem `kehoach plan show`)")
    template.add_argument("--period", required=True, metavar="KỲ", help=period)
    template.add_argument("-o", "--output", type=Path, metavar="TỆP",
                          help="tệp .xlsx sẽ ghi (mặc định: bieu-bao-cao_ĐƠN_VỊ_KỲ.xlsx ở thư mục hiện tại)")
    template.add_argument("--force", action="store_true", help=no_store)
    template.set_defaults(func=_template)

    imp = _command(sub, "import", "nhập biểu mẫu đã điền hoặc tệp CSV; mỗi tệp nhập trọn vẹn hoặc không nhập gì, "
                                  "báo kết quả từng tệp")
    imp.add_argument("files", nargs="+", type=Path, metavar="TỆP", help="biểu mẫu .xlsx hoặc tệp .csv của các đơn vị")
    imp.add_argument("--submitted-at", type=_date_arg, default=None, metavar="NGÀY",
                     help="nhập bù ngày đơn vị gửi tệp (ví dụ 03/10/2026); mặc định: lúc nhập. Ngày này được ghi là "
                          "ngày nhập tay")
    imp.add_argument("--accept-outliers", action="store_true",
                     help="vẫn lưu số liệu lớn hơn 100 lần (hoặc nhỏ hơn 1/100) số liệu báo cáo lần trước, "
                          "sau khi đã kiểm tra lại")
    imp.set_defaults(func=_import)

    hist = _command(sub, "history", "mọi lần báo cáo (kể cả các lần sửa) của một chỉ tiêu")
    hist.add_argument("--indicator", type=int, required=True, metavar="SỐ",
                      help="số thứ tự chỉ tiêu, ví dụ 1 (xem `kehoach plan show`)")
    hist.set_defaults(func=_history)

    status = _command(sub, "status", "tình hình gửi báo cáo của một kỳ: đơn vị nào đã gửi, đúng hạn hay trễ hạn, "
                                     "còn thiếu gì")
    status.add_argument("--period", required=True, metavar="KỲ", help=period)
    status.set_defaults(func=_status)

    sample = _command(sub, "sample-data", "tạo bộ số liệu minh họa (Số liệu minh họa) qua đúng đường nhập số liệu")
    sample.add_argument("--force", action="store_true", help="tạo lại kho số liệu minh họa đã có")
    sample.add_argument("--province", type=_positive_int, default=None, metavar="N",
                        help="tạo một tỉnh minh họa gồm N xã, phường, mỗi nơi một kế hoạch, trong thư mục của --root")
    sample.set_defaults(func=_sample)

    bundle = _command(sub, "bundle", "đóng gói số liệu quý của xã, phường (kế hoạch, số liệu, nội dung báo cáo, "
                                     "tình hình gửi) thành tệp .zip gửi tỉnh")
    bundle.add_argument("--period", required=True, type=_period_arg, metavar="KỲ",
                        help="kỳ báo cáo, ví dụ 2026-Q3 (gồm số liệu đến hết kỳ này)")
    bundle.add_argument("-o", "--output", type=Path, metavar="TỆP",
                        help="tệp .zip sẽ ghi (mặc định: MÃ_XÃ_KỲ.zip ở thư mục hiện tại)")
    bundle.add_argument("--force", action="store_true", help=no_store)
    bundle.set_defaults(func=_bundle)

    province_cmd = _command(sub, "province", "không gian làm việc của tỉnh: nhập gói số liệu của các xã, phường, "
                                             "xem nơi nào đã gửi")
    province_sub = province_cmd.add_subparsers(dest="province_command", required=True, metavar="THAO_TÁC", title="Thao tác")
    p_import = _command(province_sub, "import", "kiểm tra và nhập gói số liệu của các xã, phường; mỗi gói nhập trọn vẹn "
                                                "hoặc không nhập gì")
    p_import.add_argument("files", nargs="+", type=Path, metavar="TỆP", help="các gói .zip của xã, phường")
    p_import.add_argument("--force", action="store_true",
                          help="nhận cả gói cũ hơn gói đã nhận của cùng xã, phường và kỳ")
    p_import.set_defaults(func=_province_import)
    p_status = _command(province_sub, "status", "với từng xã, phường: đã nhận gói chưa, nhận lúc nào, lần thứ mấy, "
                                                "báo cáo đủ chưa, có trễ hạn không")
    p_status.add_argument("--period", required=True, type=_period_arg, metavar="KỲ", help=period)
    p_status.set_defaults(func=_province_status)

    store_cmd = _command(sub, "store", "kho số liệu: dựng lại cơ sở dữ liệu từ kho lưu trữ")
    store_sub = store_cmd.add_subparsers(dest="store_command", required=True, metavar="THAO_TÁC", title="Thao tác")
    _command(store_sub, "rebuild", "dựng lại records.sqlite của từng địa bàn, từng năm chỉ từ kho lưu trữ "
                                   "(mọi kho, hoặc các kho của --ward/--year)").set_defaults(func=_store_rebuild)

    export = _command(sub, "export", "ghi mọi lần báo cáo (kể cả các lần sửa) của địa bàn và năm kế hoạch ra tệp CSV "
                                     "cho cán bộ phân tích")
    export.add_argument("-o", "--output", type=Path, metavar="TỆP",
                        help="tệp .csv sẽ ghi (mặc định: so-lieu_ĐỊA_BÀN_NĂM.csv ở thư mục hiện tại)")
    export.add_argument("--force", action="store_true", help=no_store)
    export.set_defaults(func=_export)

    periods = ("kỳ báo cáo: ví dụ 2026-Q3; latest (quý gần nhất đã kết thúc tính đến hôm nay, dùng cho cron) "
               "hoặc data-latest (quý gần nhất có số liệu)")
    jobs = "số sổ tính (notebook) chạy song song (mặc định: số lõi CPU)"
    run = _command(sub, "run", "chạy và xuất mọi sổ tính (notebook) báo cáo của một kỳ vào reports/KỲ/")
    run.add_argument("--period", required=True, metavar="KỲ", help=periods)
    run.add_argument("--jobs", type=int, default=None, metavar="SỐ", help=jobs)
    run.add_argument("--scheduler", default=None, metavar="ĐỊA_CHỈ",
                     help="chạy sổ tính trên cụm Dask: tcp://MÁY:CỔNG, hoặc local để dùng một LocalCluster "
                          "gồm --jobs tiến trình")
    run.add_argument("--only-failed", action="store_true",
                     help="chỉ chạy lại các báo cáo bị lỗi ở lần chạy trước (chạy lại tất cả nếu số liệu đã thay đổi)")
    run.add_argument("--force", action="store_true",
                     help="lập lại mọi báo cáo, kể cả khi số liệu, kế hoạch, tham số và sổ tính không đổi từ lần chạy trước")
    run.add_argument("-q", "--quiet", action="store_true", help="không hiện thanh tiến độ")
    run.add_argument("--as-of", type=_date_arg, default=None, metavar="NGÀY",
                     help="lập lại báo cáo của kỳ theo số liệu đến hết NGÀY (ví dụ 2026-10-15); mặc định: hiện tại")
    run.set_defaults(func=_run)

    send = _command(sub, "send", "gửi thư điện tử kèm báo cáo của kỳ tới những người nhận trong "
                                 "parameters/recipients.yaml")
    send.add_argument("--period", required=True, metavar="KỲ", help=period)
    send.add_argument("--dry-run", action="store_true",
                      help="không gửi thư nào; ghi từng thư thành tệp .eml vào reports/KỲ/outbox/")
    send.add_argument("--zip", action="store_true",
                      help="đính kèm các báo cáo thành một tệp .zip (một số hệ thống thư chặn tệp .html)")
    send.add_argument("--resend", action="store_true", help="gửi lại cả những thư đã có trong nhật ký gửi")
    send.add_argument("--recipients", type=Path, default=None, metavar="TỆP",
                      help="tệp danh sách người nhận (mặc định: parameters/recipients.yaml)")
    send.add_argument("--unknown", choices=["sent", "retry"], default=None,
                      help="xử lý các thư chưa rõ đã tới hay chưa do lần gửi trước bị dừng giữa chừng: "
                           "sent là ghi nhận đã gửi, retry là gửi lại")
    send.set_defaults(func=_send)

    report = _command(sub, "report", "việc chính: tạo số liệu minh họa nếu chưa có, rồi lập các báo cáo quý")
    report.add_argument("--period", default="data-latest", metavar="KỲ", help=f"{periods}; mặc định: data-latest")
    report.add_argument("--jobs", type=int, default=None, metavar="SỐ", help=jobs)
    report.add_argument("--as-of", type=_date_arg, default=None, metavar="NGÀY",
                        help="ngày chốt số liệu (ví dụ 2026-10-15); mặc định: hiện tại")
    report.set_defaults(func=_report)

    explore = _command(sub, "explore", "mở ứng dụng tra cứu cho lãnh đạo dưới dạng trang web (Voilà); mặc định "
                                       "chỉ mở trên máy này")
    explore.add_argument("--ip", default="127.0.0.1", metavar="ĐỊA_CHỈ",
                         help="địa chỉ nhận kết nối (mặc định: 127.0.0.1, chỉ máy này); địa chỉ khác cần mã truy cập")
    explore.add_argument("--port", type=int, default=8866, metavar="CỔNG", help="cổng (mặc định: 8866)")
    explore.add_argument("--token", default=None, metavar="MÃ",
                         help="mã truy cập (bắt buộc khi mở cho máy khác; nếu không ghi thì tự tạo và in ra)")
    explore.set_defaults(func=_explore)

    _plan_options_everywhere(sub)
    return parser


def _command(sub: argparse.Action, name: str, text: str) -> argparse.ArgumentParser:
    """A subcommand whose one-line ``text`` is both its line in the parent's list and the lead of its own --help."""
    return sub.add_parser(name, help=text, description=f"{text[:1].upper()}{text[1:]}.")


def _plan_options_everywhere(sub: argparse.Action) -> None:
    """Let --ward/--year also follow the command (`kehoach status --period 2027-Q1 --ward x`)."""
    for command in sub.choices.values():
        nested = getattr(command, "subcommands", None)
        targets = [command] + (list(nested.choices.values()) if nested is not None else [])
        for target in targets:
            for flag, kind in (("--ward", _ward_arg), ("--year", int)):
                try:
                    target.add_argument(flag, type=kind, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
                except argparse.ArgumentError:  # the command has its own (a conflicting option string)
                    pass


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every ``finally`` runs (temporary files removed, locks released)."""


def _on_sigterm(signum, frame) -> None:
    raise Terminated()


class _HelpFormatter(argparse.HelpFormatter):
    """Help with a Vietnamese usage lead ("Cách dùng: " instead of argparse's "usage: ")."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "Cách dùng: " if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """The parser of ``kehoach`` and of each of its subcommands (the subparsers' ``parser_class``), in Vietnamese.

    Its own ``-h/--help`` replaces argparse's (``add_help=False``); arguments go into argument groups with
    Vietnamese titles ("Tham số", "Tùy chọn") instead of argparse's default ones, which stay empty and so are not
    shown; :meth:`error` says argparse's standard messages in Vietnamese (:func:`_argparse_message`).
    """

    def __init__(self, *args, **kwargs):
        kwargs["add_help"] = False
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)
        self.subcommands: argparse.Action | None = None
        self.positionals_group = self.add_argument_group("Tham số")
        self.options_group = self.add_argument_group("Tùy chọn")
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="xem hướng dẫn này rồi thoát")

    def add_argument(self, *name_or_flags, **kwargs):
        """Into "Tham số" (a positional, as argparse tells them apart) or "Tùy chọn" (an option)."""
        positional = not name_or_flags or (len(name_or_flags) == 1 and name_or_flags[0][:1] not in self.prefix_chars)
        return (self.positionals_group if positional else self.options_group).add_argument(*name_or_flags, **kwargs)

    def add_subparsers(self, **kwargs):
        """Subcommands are parsers of this class too; the action is kept as ``subcommands``."""
        kwargs.setdefault("parser_class", _Parser)
        self.subcommands = super().add_subparsers(**kwargs)
        return self.subcommands

    def error(self, message: str):
        """Usage and the Vietnamese message on stderr, exit status 2 (as argparse's own ``error``)."""
        self.print_usage(sys.stderr)
        say(f"Lỗi cú pháp lệnh: {_argparse_message(message).rstrip('.')}. Xem `{self.prog} --help`.", err=True)
        raise SystemExit(2)


def _literal(text: str) -> str:
    """A value argparse shows with ``repr`` ('abc'), as the user typed it (abc)."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return value if isinstance(value, str) else text


def _choices(text: str) -> str:
    """argparse's ``'sent', 'retry'`` as ``sent, retry``."""
    values = re.findall(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", text)
    return ", ".join(_literal(v) for v in values) if values else text


_TYPE_NAMES = {"int": "số nguyên", "float": "số"}

#: argparse's standard messages (Python 3.11's English templates) and what the user reads instead.
_ARGPARSE_MESSAGES: list[tuple[re.Pattern, object]] = [
    (re.compile(r"the following arguments are required: (?P<names>.+)", re.S),
     lambda m: f"thiếu tham số bắt buộc: {m['names']}"),
    (re.compile(r"unrecognized arguments: (?P<args>.*)", re.S),
     lambda m: f"lệnh không có tham số này: {m['args']}"),
    (re.compile(r"one of the arguments (?P<names>.+) is required", re.S),
     lambda m: f"cần một trong các tham số: {m['names']}"),
    (re.compile(r"ambiguous option: (?P<option>.+?) could match (?P<matches>.+)", re.S),
     lambda m: f"tùy chọn {m['option']} chưa rõ là tùy chọn nào ({m['matches']}); viết đầy đủ tên tùy chọn"),
    (re.compile(r"unexpected option string: (?P<option>.+)", re.S),
     lambda m: f"không dùng được tùy chọn {m['option']} ở đây"),
    (re.compile(r"invalid choice: (?P<value>.+) \(choose from (?P<choices>.*)\)", re.S),
     lambda m: f"giá trị “{_literal(m['value'])}” không hợp lệ; chọn một trong: {_choices(m['choices'])}"),
    (re.compile(r"invalid (?P<type>\S+) value: (?P<value>.+)", re.S),
     lambda m: f"“{_literal(m['value'])}” không phải {_TYPE_NAMES.get(m['type'], 'giá trị ' + m['type'])}"),
    (re.compile(r"expected one argument"), lambda m: "cần một giá trị đi kèm"),
    (re.compile(r"expected at most one argument"), lambda m: "chỉ nhận nhiều nhất một giá trị"),
    (re.compile(r"expected at least one argument"), lambda m: "cần ít nhất một giá trị"),
    (re.compile(r"expected (?P<n>\d+) arguments?"), lambda m: f"cần {m['n']} giá trị"),
    (re.compile(r"not allowed with argument (?P<other>.+)", re.S), lambda m: f"không dùng được cùng với {m['other']}"),
    (re.compile(r"ignored explicit argument (?P<value>.+)", re.S),
     lambda m: f"không nhận giá trị (đã viết “{_literal(m['value'])}”)"),
    (re.compile(r"unknown parser (?P<value>.+?) \(choices: (?P<choices>.*)\)", re.S),
     lambda m: f"không có lệnh “{_literal(m['value'])}”; chọn một trong: {m['choices']}"),
    (re.compile(r"can't open '(?P<file>.*)': (?P<error>.*)", re.S),
     lambda m: f"không mở được tệp {m['file']} ({m['error']})"),
]


def _argparse_message(message: str) -> str:
    """One of argparse's standard error messages in Vietnamese; an unknown one kept, with the original quoted."""
    argument = re.fullmatch(r"argument (?P<name>.+?): (?P<message>.*)", message, re.S)
    if argument:
        name, inner = argument["name"], argument["message"]
        kind = "tùy chọn" if name.startswith("-") else "tham số"
        if any(pattern.fullmatch(inner) for pattern, _ in _ARGPARSE_MESSAGES) or inner.isascii():
            inner = _argparse_message(inner)
        return f"{kind} {name}: {inner}"  # else a message of kehoach's own (ArgumentTypeError), already Vietnamese
    for pattern, say_it in _ARGPARSE_MESSAGES:
        match = pattern.fullmatch(message)
        if match:
            return say_it(match)
    return f"lệnh viết chưa đúng (thông báo gốc bằng tiếng Anh: {message})"


def error_log_path() -> Path:
    """Where tracebacks of unexpected errors go: ``logs/kehoach-errors.log`` in the workbench, else the temp folder."""

    override = os.environ.get("KEHOACH_ERROR_LOG")
    if override:
        return Path(override)
    folder = config.project_root() / "logs"
    try:
        folder.mkdir(exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder / "kehoach-errors.log"
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / f"kehoach-errors-{os.getuid() if hasattr(os, 'getuid') else 'user'}.log"


def _log_traceback(argv: list[str] | None) -> Path | None:
    path = error_log_path()
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"--- {dt.datetime.now().isoformat(timespec='seconds')} kehoach {' '.join(argv or sys.argv[1:])}\n")
            handle.write(traceback.format_exc())
        return path
    except OSError:
        return None


_OS_ERRORS = {
    errno.ENOSPC: "ổ đĩa đã đầy; giải phóng dung lượng rồi chạy lại (dữ liệu đã lưu không bị thay đổi)",
    errno.EDQUOT: "đã hết hạn mức dung lượng; giải phóng dung lượng rồi chạy lại",
    errno.EACCES: "không có quyền ghi hoặc đọc; kiểm tra quyền của thư mục/tệp",
    errno.EPERM: "không được phép thao tác; kiểm tra quyền của thư mục/tệp",
    errno.EROFS: "thư mục chỉ đọc; chọn thư mục khác hoặc cấp quyền ghi",
    errno.ENAMETOOLONG: "tên tệp quá dài; đổi tên tệp ngắn hơn",
    errno.ENOENT: "không tìm thấy tệp hoặc thư mục; kiểm tra lại đường dẫn",
    errno.ENOTDIR: "đường dẫn không phải thư mục; kiểm tra lại đường dẫn",
    errno.EISDIR: "đường dẫn là một thư mục, cần một tệp",
}


def _os_message(exc: OSError) -> str:
    what = _OS_ERRORS.get(exc.errno, f"lỗi hệ thống tệp ({exc.strerror or type(exc).__name__})")
    where = f" {exc.filename}" if exc.filename else ""
    return f"Không thực hiện được thao tác với tệp{where}: {what}."


def main(argv: list[str] | None = None) -> int:
    """Run one command; every error ends in a short Vietnamese message and an exit status, never a traceback."""
    parser = build_parser()
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        if args.root:  # every path of the package derives from the root (kehoach.core.config)
            stack.enter_context(config.using_root(args.root))
        return _dispatch(args, argv)


def _dispatch(args: argparse.Namespace, argv: list[str] | None) -> int:
    """``args.func`` with every error turned into a short Vietnamese message and an exit status."""
    _configure_logging(args.verbose)
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if _main_thread() else None
    try:
        return int(args.func(args) or 0)
    except KehoachError as exc:
        _details(args, argv, log_it=False)
        say(f"Lỗi: {exc}", err=True)
        return exc.exit_code
    except Terminated:
        say("Đã dừng (SIGTERM); dữ liệu đã lưu không bị thay đổi, tệp tạm đã được dọn.", err=True)
        return 143
    except KeyboardInterrupt:
        say("Đã dừng theo yêu cầu; dữ liệu đã lưu không bị thay đổi.", err=True)
        return 130
    except BrokenPipeError:  # `kehoach ... | head`: the reader has gone; nothing more to say
        _quiet_stdout()
        return 141
    except OSError as exc:
        where = _details(args, argv)
        say(f"Lỗi: {_os_message(exc)}{where}", err=True)
        return 1
    except Exception as exc:  # noqa: BLE001 - the one top-level handler: no traceback reaches the user
        where = _details(args, argv)
        say(f"Lỗi không mong đợi ({type(exc).__name__}: {_field(exc)}). Dữ liệu đã lưu không bị thay đổi. Chạy lại lệnh; "
            f"nếu vẫn lỗi, gửi tệp nhật ký dưới đây cho người quản trị kehoach kèm lệnh đã chạy.{where}", err=True)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not complain about the closed pipe."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout is not a real file (pytest's capture)
        pass


#: Log levels as the user reads them.
_LEVELS = {"DEBUG": "Chi tiết", "INFO": "Thông tin", "WARNING": "Lưu ý", "ERROR": "Lỗi", "CRITICAL": "Lỗi nghiêm trọng"}


class _EscapingFormatter(logging.Formatter):
    """Log lines carry file names and notes too: escape their control characters like everything else printed; the
    level is said in Vietnamese ("Lưu ý kehoach.data.plan: …")."""

    def format(self, record: logging.LogRecord) -> str:
        record.level_vi = _LEVELS.get(record.levelname, record.levelname)
        return escape_controls(super().format(record))


def _configure_logging(verbose: bool) -> None:
    """Like ``logging.basicConfig`` (a no-op when logging is already set up, as under pytest), escaping."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(_EscapingFormatter("%(level_vi)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    # pypdf warns in English about PDFs it repairs on the fly; a PDF it cannot read is refused in Vietnamese anyway.
    logging.getLogger("pypdf").setLevel(logging.INFO if verbose else logging.ERROR)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _details(args: argparse.Namespace, argv: list[str] | None, log_it: bool = True) -> str:
    """Log the current traceback; show it with -v. Returns the sentence saying where it is."""
    if args.verbose:
        say(traceback.format_exc(), err=True)
    if not log_it:
        return ""
    path = _log_traceback(argv)
    return f" Chi tiết kỹ thuật ghi tại {path}; chạy lại với -v để xem." if path else " Chạy lại với -v để xem chi tiết."


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
