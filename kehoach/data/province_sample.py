"""A synthetic province ("Số liệu minh họa"): many communes, each with its own plan and quarters.

This module makes the communes' data; :func:`kehoach.delivery.bundles.build_province` (``kehoach
sample-data --province 92 --root DIR``) puts each commune in a workspace of its own under
``DIR/communes/<commune>/`` and sends its quarter to the province workspace ``DIR`` as a bundle.
Each commune's workspace holds:

- ``data/plan/<commune>-2026.yaml``: its plan, derived from the ward plan of
  :mod:`kehoach.data.sample`. :data:`SHARED` indicators (by code) are in every plan; each of the
  others is in a commune's plan with some probability, and a few communes track a local
  indicator of their own. Targets vary with the commune's population and ambition; indicators
  are renumbered in each plan, so only ``code`` identifies them across communes. Three units
  report (KTHT, VHXH, VP). Each plan gives the commune's population (the weight of its shares).
- ``data/progress/<commune>/2026/``: 2025-Q1 … 2026-Q3, imported through the real import path
  (:func:`kehoach.data.submission.import_file`) as the illustrative Excel forms a unit would
  send (one per unit and quarter), with late, missing and revised reports; every record is
  marked illustrative like the ward sample's.
- ``parameters/2026-Q1.yaml`` … ``2026-Q4.yaml``: the run parameters of the workspace (:func:`write_parameters`).

Everything is deterministic (seeded by commune) and marked "Số liệu minh họa".
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from kehoach.core.errors import StoreError
from kehoach.core.period import VN_TZ, Period
from kehoach.data.forms import ACTUAL, ESTIMATE, ILLUSTRATIVE, fill_form, write_template
from kehoach.data.plan import Plan
from kehoach.data.sample import AS_OF, PERIODS, VALUES
from kehoach.data.store import ProgressStore
from kehoach.data.submission import import_file

log = logging.getLogger(__name__)

YEAR = 2026
BASE_POPULATION = 122_000  # the ward whose figures the sample follows
#: Indicators in every commune's plan (by code): about twenty shared for the province to compare.
SHARED = [
    "thu-ngan-sach", "chi-ngan-sach", "giai-ngan-dau-tu-cong", "thu-nhap-binh-quan", "ho-so-tthc-tren-mang",
    "ho-so-dung-han", "dich-vu-cong-truc-tuyen", "hai-long-nguoi-dan", "bao-hiem-y-te", "chat-thai-y-te",
    "bien-phap-tranh-thai", "kham-truoc-ket-hon", "sang-loc-truoc-sinh", "sang-loc-so-sinh", "kham-nguoi-cao-tuoi",
    "tre-den-truong", "chat-thai-ran-sinh-hoat", "nuoc-sach-do-thi", "giao-thong-xanh", "giao-duc-quoc-phong",
]
#: Probability that a commune's plan holds each indicator outside :data:`SHARED`.
OPTIONAL_SHARE = 0.45
#: The base units folded into the three a commune reports with.
UNIT_OF = {"KTHT": "KTHT", "BQLDA": "KTHT", "VHXH": "VHXH", "PVHCC": "VP", "QSCA": "VP"}
UNITS = [
    {"code": "KTHT", "item": "III.1", "role": "responsible", "name": "Phòng Kinh tế"},
    {"code": "VHXH", "item": "III.2", "role": "responsible", "name": "Phòng Văn hóa - Xã hội"},
    {"code": "VP", "item": "III.3", "role": "coordinator", "name": "Văn phòng HĐND và UBND"},
]
#: A local indicator some communes track (tea output): held by too few communes to be compared.
LOCAL = {"code": "san-luong-che", "group": "KT", "name": "Sản lượng chè búp tươi", "unit": "tấn", "kind": "cumulative",
         "frequency": "quarterly", "comparison": ">=", "unit_code": "KTHT"}
FIRST = ["Tân", "Phúc", "Hòa", "Minh", "Quang", "Đồng", "Thành", "Vạn", "Yên", "Bình", "Phú", "Đại", "La", "Sơn",
         "Trung", "Văn", "Kim", "Hợp", "Điềm", "Thần"]
SECOND = ["Cương", "Xuân", "Bình", "Tiến", "Sơn", "Hỷ", "Lạc", "Phú", "Thịnh", "Lợi", "An", "Khánh", "Thái", "Hà",
          "Long", "Mỹ", "Trạch", "Hưng", "Thuận", "Vinh"]
MAX_COMMUNES = 300
DEADLINES = {1: dt.date(2026, 4, 5), 2: dt.date(2026, 7, 5), 3: dt.date(2026, 10, 5), 4: dt.date(2027, 1, 5)}
#: By when the communes send their bundle to the province (three days after their units' deadline).
BUNDLE_DEADLINES = {q: d + dt.timedelta(days=3) for q, d in DEADLINES.items()}
REPORT_DATES = {1: dt.date(2026, 4, 10), 2: dt.date(2026, 7, 10), 3: dt.date(2026, 10, 10), 4: dt.date(2027, 1, 10)}


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    kind: str          # "xã" or "phường"
    population: int
    seed: int


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    return "-".join("".join(c for c in folded if not unicodedata.combining(c)).split())


def communes(count: int) -> list[Commune]:
    """``count`` communes with distinct names, about one in six a ward (phường), deterministic."""
    if not 1 <= count <= MAX_COMMUNES:
        raise StoreError(f"Số xã, phường minh họa phải từ 1 đến {MAX_COMMUNES}; đã nhập {count}.")
    rng = random.Random(17)
    names = [f"{a} {b}" for a in FIRST for b in SECOND if a != b]
    rng.shuffle(names)
    unique = {_slug(n): n for n in reversed(names)}  # names whose letters differ only by their marks: keep one
    names = [n for n in names if unique[_slug(n)] == n]
    out = []
    for i, name in enumerate(names[:count]):
        kind = "phường" if i % 6 == 0 else "xã"
        population = rng.randint(25_000, 70_000) if kind == "phường" else rng.randint(6_000, 30_000)
        out.append(Commune(f"{'phuong' if kind == 'phường' else 'xa'}-{_slug(name)}", name, kind, population, 1000 + i))
    return out


# -- plans ------------------------------------------------------------------------------
def commune_plan(base: Plan, c: Commune) -> dict:
    """The plan of one commune as the YAML mapping a plan file holds."""
    rng = random.Random(c.seed)
    scale = c.population / BASE_POPULATION
    rows = base.indicators
    picked = [r for r in rows.itertuples() if r.code in SHARED or rng.random() < OPTIONAL_SHARE]
    indicators = []
    for number, r in enumerate(picked, start=1):
        target = _target(r.target, r.unit, r.comparison, scale, rng)
        ind = {"number": number, "code": r.code, "group": r.group, "name": r.name, "unit": r.unit, "target": target,
               "comparison": r.comparison, "kind": r.kind, "frequency": r.frequency, "unit_code": UNIT_OF[r.unit_code]}
        short = base.indicator(int(r.number)).short_name
        if short:
            ind["short_name"] = short
        indicators.append(ind)
    if rng.random() < 0.3:
        indicators.append({**LOCAL, "number": len(indicators) + 1, "target": float(round(rng.uniform(300, 2500)))})
    used = {i["group"] for i in indicators}
    doc = base.document
    title = f"{c.kind} {c.name}"
    return {
        "document": {
            "decision_number": f"{20 + c.seed % 80}/QĐ-UBND", "decision_date": dt.date(2026, 1, 10 + c.seed % 15),
            "issuing_body": f"UBND {title}", "issuing_body_full": f"ỦY BAN NHÂN DÂN {title.upper()}",
            "title": f"Kế hoạch phát triển kinh tế - xã hội của {title} năm {YEAR} ({ILLUSTRATIVE})",
            "ward_code": c.code, "ward": c.name, "ward_kind": c.kind, "province": doc.province, "year": YEAR,
            "population": c.population,
        },
        "fields": [f.model_dump() for f in base.fields],
        "groups": [g.model_dump() for g in base.groups if g.code in used],
        "units": UNITS, "indicators": indicators, "tasks": [],
    }


def _target(base: float, unit: str, comparison: str, scale: float, rng: random.Random) -> float:
    if unit == "%":
        if comparison == "<" or base <= 5:
            return round(base * rng.uniform(0.8, 1.2), 2)
        return round(min(100.0, base * rng.uniform(0.93, 1.04)), 1)
    if "/" in unit:
        return round(base * rng.uniform(0.6, 1.05), 1)
    return float(round(base * scale * rng.uniform(0.8, 1.2)))


def plan_yaml(data: dict, c: Commune) -> str:
    head = (f"# {ILLUSTRATIVE}: kế hoạch của {c.kind} {c.name}, tạo bởi `kehoach sample-data --province`.\n"
            "# Không phải văn bản thật; chỉ dùng để thử báo cáo cấp tỉnh.\n")
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


# -- quarters -------------------------------------------------------------------------------
@dataclass
class Behaviour:
    """What goes wrong in one commune's 2026-Q3 reporting (drawn from its seed)."""

    late_unit: str | None
    silent_unit: str | None
    missing: list[int]
    revised: bool


def behaviour(c: Commune, plan: Plan) -> Behaviour:
    rng = random.Random(c.seed * 7 + 1)
    units = [u.code for u in plan.reporting_units]
    late = rng.choice(units) if rng.random() < 0.15 else None
    silent = rng.choice([u for u in units if u != late]) if rng.random() < 0.06 else None
    numbers = [i.number for i in plan.indicator_list if i.frequency == "quarterly"]
    missing = rng.sample(numbers, k=1) if rng.random() < 0.2 else []
    return Behaviour(late, silent, missing, rng.random() < 0.15)


def _value(plan: Plan, base: Plan, number: int, period: Period, c: Commune) -> tuple[float, bool] | None:
    ind = plan.indicator(number)
    if ind.code == LOCAL["code"]:
        q = period.quarter
        share = {1: 0.2, 2: 0.45, 3: 0.72, 4: 1.0}[q]
        rng = random.Random(c.seed * 31 + number)
        return round(ind.target * share * rng.uniform(0.85, 1.1)), False
    source = base.indicator_by_code(ind.code)
    entry = VALUES[source.number][PERIODS.index(period)]
    if entry is None:
        return None
    value, estimate = (entry[0], True) if isinstance(entry, tuple) else (entry, False)
    rng = random.Random(c.seed * 1000 + number)
    performance = rng.uniform(0.8, 1.12)
    if ind.unit == "%":
        value = min(100.0, value * (ind.target / source.target if source.target else 1) * performance)
        return round(value, 2), estimate
    if "/" in ind.unit:
        return round(value * (ind.target / source.target) * performance, 1), estimate
    return float(round(value * (ind.target / source.target) * performance)), estimate


def _submitted(c: Commune, unit: str, period: Period, b: Behaviour) -> dt.datetime:
    if period.year == YEAR - 1:
        day = dt.date(2026, 3, 18 + c.seed % 5)
    else:
        day = DEADLINES[period.quarter] - dt.timedelta(days=2 + (c.seed + len(unit)) % 3)
        if str(period) == "2026-Q3" and unit == b.late_unit:
            day = DEADLINES[3] + dt.timedelta(days=3 + c.seed % 8)
    return dt.datetime.combine(day, dt.time(9, 0), VN_TZ)


PREPARER = "Cán bộ tổng hợp (minh họa)"


def _form(plan: Plan, unit: str, period: Period, values: dict, when: dt.datetime, folder: Path, name: str) -> Path:
    path = write_template(plan, unit, period, folder / name, illustrative=True)
    fill_form(path, values, submitted_on=when.date(), preparer=PREPARER)
    return path


def _unit_values(plan: Plan, base: Plan, c: Commune, unit: str, period: Period, b: Behaviour) -> dict:
    values = {}
    for ind in plan.indicator_list:
        if ind.unit_code != unit or (str(period) == "2026-Q3" and ind.number in b.missing):
            continue
        figure = _value(plan, base, ind.number, period, c)
        if figure is not None:
            values[ind.number] = (figure[0], ESTIMATE if figure[1] else ACTUAL, ILLUSTRATIVE)
    return values


def build_commune(plan: Plan, base: Plan, c: Commune, store: ProgressStore, folder: Path) -> int:
    """Import one commune's quarters through the import path, as its units' forms; returns the forms imported."""
    b = behaviour(c, plan)
    imported = 0
    for period in PERIODS:
        for unit in plan.reporting_units:
            if str(period) == "2026-Q3" and unit.code == b.silent_unit:
                continue
            values = _unit_values(plan, base, c, unit.code, period, b)
            if not values:
                continue
            when = _submitted(c, unit.code, period, b)
            path = _form(plan, unit.code, period, values, when, folder, f"{plan.ward}_{period}_{unit.code}.xlsx")
            import_file(path, plan, store, today=AS_OF, now=when, accept_outliers=True)
            imported += 1
    if b.revised:
        imported += _revise(plan, c, store, folder)
    return imported


def _revise(plan: Plan, c: Commune, store: ProgressStore, folder: Path) -> int:
    """A unit corrects an earlier 2026-Q2 figure in August: a second revision of the same indicator."""
    ind = next((i for i in plan.indicator_list if i.frequency == "quarterly" and i.code in SHARED), None)
    if ind is None:
        return 0
    first = store.read(plan.ward, plan.year)
    row = first[(first["indicator"] == ind.number) & (first["period"] == "2026-Q2")]
    if row.empty:
        return 0
    value = float(row["value"].iloc[-1]) * 1.03
    value = round(min(value, 100.0), 2) if ind.unit == "%" else float(round(value))
    when = dt.datetime(2026, 8, 12, 9, 0, tzinfo=VN_TZ)
    path = _form(plan, ind.unit_code, Period(2026, 2), {ind.number: (value, ACTUAL, f"{ILLUSTRATIVE}: số liệu điều chỉnh")},
                 when, folder, f"{plan.ward}_2026-Q2_{ind.unit_code}_bo-sung.xlsx")
    import_file(path, plan, store, today=AS_OF, now=when, accept_outliers=True)
    return 1


def write_parameters(root: Path, province: bool = False) -> None:
    """``parameters/2026-Q1.yaml`` … of a commune's workspace, or of the province's (with the communes' ``bundle_deadline``)."""
    folder = root / "parameters"
    folder.mkdir(parents=True, exist_ok=True)
    for q in range(1, 5):
        p = Period(YEAR, q)
        scope = "cấp tỉnh" if province else "của xã, phường"
        bundle = f'bundle_deadline: "{BUNDLE_DEADLINES[q]}"\n' if province else ""
        text = (f"# Tham số kỳ báo cáo {p} của không gian làm việc {scope} ({ILLUSTRATIVE}).\n"
                f'period: "{p}"\nyear: {YEAR}\nreport_date: "{REPORT_DATES[q]}"\ndeadline: "{DEADLINES[q]}"\n'
                f'{bundle}behind_threshold: 0.8\ndata_dir: "data"\n')
        path = folder / f"{p}.yaml"
        if not path.exists():
            path.write_text(text, encoding="utf-8")
