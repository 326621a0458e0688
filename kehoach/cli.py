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
from kehoach.core.errors import KehoachError, SubmissionError, UsageError
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
        from kehoach.core.errors import PlanError
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
    from kehoach.core.files import read_text
    from kehoach.data.planimport import import_plan, review_text

    if args.review and args.file.suffix.lower() in (".yaml", ".yml"):  # a draft being fixed by hand: what is left
        say(review_text(args.file, read_text(args.file, "bản nháp kế hoạch")))
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
                        scheduler=args.scheduler, only_failed=args.only_failed)
    if result.skipped:
        say(f"Không có báo cáo nào bị lỗi và số liệu không đổi từ lần chạy trước: giữ nguyên {result.folder}.")
    return _report_result(result)


def _run_all(args: argparse.Namespace) -> int:
    """``--ward all``: every commune's reports, then the province report."""
    from kehoach.delivery.executors import describe
    from kehoach.delivery.province import run_all_wards

    if not args.quiet:
        say(f"Lập báo cáo của mọi xã, phường và báo cáo tỉnh; chạy trên {describe(args.scheduler, args.jobs)}.")
    result = run_all_wards(args.period, jobs=args.jobs, scheduler=args.scheduler, only_failed=args.only_failed,
                           show_progress=not args.quiet, as_of=args.as_of)
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
    parser = _Parser(
        prog="kehoach",
        description="Track the ward's yearly socio-economic plan: import unit reports, evaluate, build quarterly reports.",
    )
    parser.add_argument("--version", action="version", version=f"kehoach {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    parser.add_argument("--plan", type=Path, default=None, help="plan YAML file (default: the one fitting --ward/--year in data/plan/)")
    parser.add_argument("--ward", type=_ward_arg, default=None, help="ward code, e.g. phan-dinh-phung (needed when data/plan/ holds several wards)")
    parser.add_argument("--year", type=int, default=None, help="plan year (needed when a ward has several years' plans)")
    parser.add_argument("--root", type=Path, default=None,
                        help="the workspace (data/, parameters/, reports/); default $KEHOACH_ROOT or the project folder")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    plan_cmd = sub.add_parser("plan", help="show the plan")
    plan_sub = plan_cmd.add_subparsers(dest="plan_command", required=True, metavar="ACTION")
    plan_sub.add_parser("show", help="print the indicators by group, with targets and responsible units").set_defaults(func=_plan_show)
    plan_sub.add_parser("list", help="list the plans in data/plan/ (ward, year, indicators, decision)").set_defaults(func=_plan_list)
    plan_import = plan_sub.add_parser("import", help="read a plan decision (.docx, .txt, .pdf) into a draft plan YAML to review")
    plan_import.add_argument("file", type=Path, help="the plan decision: .docx, .txt or a .pdf with a text layer (or, with --review, a draft .yaml)")
    plan_import.add_argument("-o", "--output", type=Path, help="draft YAML to write (default: WARD-YEAR.yaml next to the file)")
    plan_import.add_argument("--force", action="store_true", help="overwrite an existing draft")
    plan_import.add_argument("--review", action="store_true",
                             help="list every field to check (# KIỂM TRA) with its line; given a draft .yaml, only list them")
    plan_import.add_argument("--no-reference", action="store_true",
                             help="do not take codes from the ward's earlier plan in data/plan/")
    plan_import.set_defaults(func=_plan_import)
    plan_diff = plan_sub.add_parser("diff", help="indicators added, dropped, renamed and re-targeted between two years")
    plan_diff.add_argument("old_year", type=int)
    plan_diff.add_argument("new_year", type=int)
    plan_diff.set_defaults(func=_plan_diff)

    template = sub.add_parser("template", help="write the Excel reporting form of one unit for a period")
    template.add_argument("--unit", required=True, help="unit code, e.g. KTHT (see `kehoach plan show`)")
    template.add_argument("--period", required=True, help="period, e.g. 2026-Q3")
    template.add_argument("-o", "--output", type=Path, help="output .xlsx (default: bieu-bao-cao_UNIT_PERIOD.xlsx here)")
    template.add_argument("--force", action="store_true", help="overwrite an existing file (never one in the store, nor a device)")
    template.set_defaults(func=_template)

    imp = sub.add_parser("import", help="import filled forms or CSV files; each file all or nothing, reported one by one")
    imp.add_argument("files", nargs="+", type=Path)
    imp.add_argument("--submitted-at", type=_date_arg, default=None, metavar="DATE",
                     help="back-fill the date the unit sent the files (03/10/2026); default: now. Kept as set by hand")
    imp.add_argument("--accept-outliers", action="store_true",
                     help="store values over 100x (or under 1/100 of) the last reported one, after checking them")
    imp.set_defaults(func=_import)

    hist = sub.add_parser("history", help="every stored revision of one indicator")
    hist.add_argument("--indicator", type=int, required=True, help="indicator number, 1-36")
    hist.set_defaults(func=_history)

    status = sub.add_parser("status", help="who has reported for a period, on time or late, and what is missing")
    status.add_argument("--period", required=True)
    status.set_defaults(func=_status)

    sample = sub.add_parser("sample-data", help="build the illustrative dataset (Số liệu minh họa) through the import path")
    sample.add_argument("--force", action="store_true", help="rebuild an existing illustrative store")
    sample.add_argument("--province", type=_positive_int, default=None, metavar="N",
                        help="build a synthetic province of N communes, each with its own plan, in the workspace of --root")
    sample.set_defaults(func=_sample)

    bundle = sub.add_parser("bundle", help="pack the commune's quarter (plan, records, texts, completeness) as a zip for the province")
    bundle.add_argument("--period", required=True, type=_period_arg, help="period, e.g. 2026-Q3 (records up to it go in)")
    bundle.add_argument("-o", "--output", type=Path, help="output .zip (default: COMMUNE_PERIOD.zip here)")
    bundle.add_argument("--force", action="store_true", help="overwrite an existing file (never one in the store, nor a device)")
    bundle.set_defaults(func=_bundle)

    province_cmd = sub.add_parser("province", help="the province workspace: import the communes' bundles, see who has sent")
    province_sub = province_cmd.add_subparsers(dest="province_command", required=True, metavar="ACTION")
    p_import = province_sub.add_parser("import", help="check and import communes' bundles; each all or nothing")
    p_import.add_argument("files", nargs="+", type=Path)
    p_import.add_argument("--force", action="store_true",
                          help="use a bundle older than the one already received for its commune and period")
    p_import.set_defaults(func=_province_import)
    p_status = province_sub.add_parser("status", help="for every commune: bundle received, when, revision, completeness, late")
    p_status.add_argument("--period", required=True, type=_period_arg)
    p_status.set_defaults(func=_province_status)

    store_cmd = sub.add_parser("store", help="the progress store: rebuild its database from the archive")
    store_sub = store_cmd.add_subparsers(dest="store_command", required=True, metavar="ACTION")
    store_sub.add_parser("rebuild", help="build each ward and year's records.sqlite again from its archive alone "
                         "(every store, or those of --ward/--year)").set_defaults(func=_store_rebuild)

    export = sub.add_parser("export", help="write every stored revision of the plan's ward and year as CSV for the analyst")
    export.add_argument("-o", "--output", type=Path, help="output .csv (default: so-lieu_WARD_YEAR.csv here)")
    export.add_argument("--force", action="store_true", help="overwrite an existing file (never one in the store, nor a device)")
    export.set_defaults(func=_export)

    periods = "2026-Q3, 'latest' (the last quarter ended by today, for cron) or 'data-latest' (the last quarter with data)"
    run = sub.add_parser("run", help="execute and export every report notebook of a period into reports/PERIOD/")
    run.add_argument("--period", required=True, help=periods)
    run.add_argument("--jobs", type=int, default=None, help="notebooks run in parallel (default: number of cores)")
    run.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="run the notebooks on a Dask cluster: tcp://HOST:PORT, or 'local' for a LocalCluster of --jobs workers")
    run.add_argument("--only-failed", action="store_true",
                     help="re-run only the reports that failed in the previous run (all of them when the data changed since)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    run.add_argument("--as-of", type=_date_arg, default=None, metavar="DATE",
                     help="rebuild the period as it stood at the end of DATE (YYYY-MM-DD); default: now")
    run.set_defaults(func=_run)

    send = sub.add_parser("send", help="email the period's reports to the recipients in parameters/recipients.yaml")
    send.add_argument("--period", required=True)
    send.add_argument("--dry-run", action="store_true", help="write each message as .eml to reports/PERIOD/outbox/; send nothing")
    send.add_argument("--zip", action="store_true", help="attach the reports as one .zip (some mail systems block .html)")
    send.add_argument("--resend", action="store_true", help="send again messages already in the send log")
    send.add_argument("--recipients", type=Path, default=None, help="recipients file (default: parameters/recipients.yaml)")
    send.add_argument("--unknown", choices=["sent", "retry"], default=None,
                      help="settle messages a stopped send left with an unknown fate: 'sent' records them as delivered, "
                           "'retry' sends them again")
    send.set_defaults(func=_send)

    report = sub.add_parser("report", help="the main job: build the illustrative data if needed and run the quarterly reports")
    report.add_argument("--period", default="data-latest", help=periods)
    report.add_argument("--jobs", type=int, default=None)
    report.add_argument("--as-of", type=_date_arg, default=None, metavar="DATE", help="data cut-off date (YYYY-MM-DD); default: now")
    report.set_defaults(func=_report)

    explore = sub.add_parser("explore", help="serve the explorer to leaders as a web app (Voilà), on this machine by default")
    explore.add_argument("--ip", default="127.0.0.1",
                         help="address to listen on (default 127.0.0.1, this machine only); any other needs a token")
    explore.add_argument("--port", type=int, default=8866)
    explore.add_argument("--token", default=None,
                         help="access token (required off this machine; made and printed when not given)")
    explore.set_defaults(func=_explore)

    _plan_options_everywhere(sub)
    return parser


def _plan_options_everywhere(sub: argparse._SubParsersAction) -> None:
    """Let --ward/--year also follow the command (`kehoach status --period 2027-Q1 --ward x`)."""
    for command in sub.choices.values():
        nested = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]
        targets = [command] + [p for action in nested for p in action.choices.values()]
        for target in targets:
            for flag, kind in (("--ward", _ward_arg), ("--year", int)):
                if flag not in target._option_string_actions:
                    target.add_argument(flag, type=kind, default=argparse.SUPPRESS, help=argparse.SUPPRESS)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every ``finally`` runs (temporary files removed, locks released)."""


def _on_sigterm(signum, frame) -> None:
    raise Terminated()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own wording, with a Vietnamese lead
        self.print_usage(sys.stderr)
        say(f"Lỗi cú pháp lệnh: {message}. Xem `{self.prog} --help`.", err=True)
        raise SystemExit(2)


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


class _EscapingFormatter(logging.Formatter):
    """Log lines carry file names and notes too: escape their control characters like everything else printed."""

    def format(self, record: logging.LogRecord) -> str:
        return escape_controls(super().format(record))


def _configure_logging(verbose: bool) -> None:
    """Like ``logging.basicConfig`` (a no-op when logging is already set up, as under pytest), escaping."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(_EscapingFormatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)


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
