"""The quarterly compliance workbook (domain spec §5): a summary sheet with one row per branch of
the subtree — every figure from `compliance.metrics.branch_metrics`, the same function the
dashboards use, so the report, the dashboards and the engine agree by construction — then the
meetings held, the arrears list and the open rectification items, and a notes sheet.

Written with openpyxl in write-only mode: rows stream to the file, so memory holds the per-branch
figures and one row at a time, never the whole workbook. Figures are judged on the day after the
quarter (or today, for the current quarter), so regenerating the same quarter from the same data
gives the same figures.
"""

import datetime
import io
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from branches.models import Organization, OrgKind

from . import metrics as m
from .engine import STATUS_LABELS
from .models import QuarterlyReport, ReportStatus, RuleCode
from .periods import QUARTER, current, parse_period

logger = logging.getLogger(__name__)

# Sent when a report is ready (notifications, higher up, tells the recipients): report, user_ids.
report_ready = Signal()

ONE_DAY = datetime.timedelta(days=1)
PERCENT = '0.0"%"'
MONEY = "#,##0.00"
RAG_LABELS = {m.RED: gettext_lazy("红"), m.AMBER: gettext_lazy("黄"), m.GREEN: gettext_lazy("绿")}
RAG_FILLS = {m.RED: "F8D7DA", m.AMBER: "FFF3CD", m.GREEN: "D1E7DD"}


def judged_on(period, today=None):
    """The day figures are judged on: the day after the quarter, or today while it runs."""
    today = today or timezone.localdate()
    return min(today, period.end + ONE_DAY)


def lease():
    return datetime.timedelta(seconds=settings.COMPLIANCE_REPORT_LEASE_SECONDS)


# --- Requests --------------------------------------------------------------------------------------


def report_request(*, organization, period, user=None):
    """Queue (or re-queue) the workbook of `organization` for quarter `period` ("2026-Q3"). One row
    per organisation and quarter: asking again regenerates it in place."""
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from .periods import PeriodError

    try:
        quarter = parse_period(period)
    except PeriodError as exc:
        raise ValidationError({"period": str(exc)}) from exc
    if quarter.kind != QUARTER:
        raise ValidationError({"period": _("请选择季度，例如 2026-Q3。")})
    with transaction.atomic():
        report, created = QuarterlyReport.objects.get_or_create(
            organization=organization, period=quarter.code, defaults={"requested_by": user}
        )
        if not created and report.status != ReportStatus.RUNNING:
            QuarterlyReport.objects.filter(pk=report.pk).update(
                status=ReportStatus.PENDING, progress=0, error="", requested_by=user or report.requested_by
            )
        from .tasks import generate_report

        transaction.on_commit(lambda: generate_report.delay(report.pk))
    report.refresh_from_db()
    return report


def quarterly_reports_request(today=None):
    """Beat, on the first day after a quarter: the last quarter's workbook for every committee."""
    today = today or timezone.localdate()
    quarter = current(QUARTER, today).previous()
    created = 0
    for org in Organization.objects.filter(kind=OrgKind.COMMITTEE).order_by("path"):
        if not QuarterlyReport.objects.filter(organization=org, period=quarter.code).exists():
            report_request(organization=org, period=quarter.code)
            created += 1
    return created


# --- The run ---------------------------------------------------------------------------------------


def report_run(*, report_id):
    """Build the workbook. Claimed with one compare-and-update: a pending report, or a running one
    whose heartbeat is older than the lease (its worker died); a second delivery of the same task
    while the first is alive finds nothing to claim. The file is saved once, at the end."""
    now = timezone.now()
    claimable = Q(status=ReportStatus.PENDING) | Q(
        status=ReportStatus.RUNNING, heartbeat_at__lt=now - lease()
    )
    claimed = QuarterlyReport.objects.filter(claimable, pk=report_id).update(
        status=ReportStatus.RUNNING, progress=0, started_at=now, heartbeat_at=now
    )
    if not claimed:
        return None
    report = QuarterlyReport.objects.select_related("organization").get(pk=report_id)

    def progress(done, total):
        QuarterlyReport.objects.filter(pk=report.pk).update(
            progress=min(99, int(done * 100 / max(total, 1))), heartbeat_at=timezone.now()
        )

    try:
        content, branches = build_workbook(
            report.organization, parse_period(report.period), on_progress=progress
        )
    except Exception as exc:
        logger.exception("quarterly report %s failed", report.pk)
        QuarterlyReport.objects.filter(pk=report.pk).update(
            status=ReportStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    old = report.file.name if report.file else ""
    report.file.save(
        f"{report.organization.code or report.organization.pk}-{report.period}.xlsx",
        ContentFile(content),
        save=False,
    )
    report.status, report.progress, report.branches = ReportStatus.DONE, 100, branches
    report.finished_at = timezone.now()
    report.runs = report.runs + 1
    report.save(update_fields=["file", "status", "progress", "branches", "finished_at", "runs"])
    if old and old != report.file.name:
        report.file.storage.delete(old)
    report_ready.send(sender=QuarterlyReport, report=report, user_ids=report_recipients(report))
    return report


def report_recipients(report):
    """The committee's staff (for a committee) or the branch officers (for a branch), and whoever
    asked for it."""
    from branches.models import BRANCH_KINDS, CommitteePost, Grant, PostRole

    org = report.organization
    users = set(Grant.objects.filter(organization=org).values_list("user_id", flat=True))
    if org.kind in BRANCH_KINDS:
        users |= set(
            CommitteePost.objects.current()
            .filter(organization=org, role__in=(PostRole.SECRETARY, PostRole.ORGANIZATION_MEMBER))
            .exclude(member__user__isnull=True)
            .values_list("member__user_id", flat=True)
        )
    if report.requested_by_id:
        users.add(report.requested_by_id)
    return sorted(users)


# --- The workbook ----------------------------------------------------------------------------------

RULES = list(RuleCode)


def summary_headers():
    headers = [_("排名"), _("党组织"), _("组织路径")]
    for rule in RULES:
        headers += [f"{rule.label}·{_('应开')}", f"{rule.label}·{_('已开')}", f"{rule.label}·{_('状态')}"]
    headers += [
        _("会议达标率"),
        _("应到人次"),
        _("实到人次"),
        _("出勤率"),
        _("应交人数"),
        _("交清人数"),
        _("收缴率（按人数）"),
        _("应交金额"),
        _("实交金额"),
        _("收缴率（按金额）"),
        _("欠交1-2个月人数"),
        _("欠交3-5个月人数"),
        _("欠交6个月以上人数"),
        _("自行脱党审查人数"),
        _("欠交金额"),
        _("本季收缴"),
        _("已上缴"),
        _("上级已确认"),
        _("上缴状态"),
        _("整改未销号"),
        _("整改超期"),
        _("本季销号"),
        _("销号率"),
        _("发展对象人数"),
        _("发展步骤超期"),
        _("综合得分"),
        _("红黄绿"),
        _("原因"),
    ]
    return headers


REMITTANCE_LABELS = {
    "none": gettext_lazy("未上缴"),
    "partial": gettext_lazy("部分上缴"),
    "remitted": gettext_lazy("已上缴待确认"),
    "confirmed": gettext_lazy("已确认"),
    "": "—",
}


def _reasons(row):
    out = []
    for kind, code, n in row.reasons:
        if kind == "rule":
            out.append(_("%(rule)s未达标") % {"rule": RuleCode(code).label})
        elif kind == "lapse":
            out.append(_("%(n)s人连续6个月未交党费") % {"n": n})
        elif kind == "items_overdue":
            out.append(_("整改超期%(n)s项") % {"n": n})
        elif kind == "dev_overdue":
            out.append(_("发展步骤超期%(n)s人") % {"n": n})
        elif kind == "score":
            out.append(_("综合得分%(n)s") % {"n": n})
    return "；".join(out)


def summary_row(row):
    values = [row.rank, row.name, row.path]
    for rule in RULES:
        figures = row.rules.get(rule.value)
        if figures is None:
            values += [None, None, str(STATUS_LABELS["n/a"])]
        else:
            values += [figures.required, figures.held, str(STATUS_LABELS[figures.status])]
    values += [
        row.meeting_rate,
        row.att_expected,
        row.att_present,
        row.attendance_rate,
        row.dues_owing,
        row.dues_paid_up,
        row.rate_heads,
        row.dues_due,
        row.dues_paid,
        row.rate_amount,
        row.arrears_b12,
        row.arrears_b35,
        row.arrears_b6,
        row.arrears_lapse,
        row.arrears_owed,
        row.collected,
        row.remitted,
        row.confirmed,
        str(REMITTANCE_LABELS.get(row.remittance_status, row.remittance_status)),
        row.items_open,
        row.items_overdue,
        row.items_closed,
        row.close_rate,
        row.dev_pipeline,
        row.dev_overdue,
        row.score,
        str(RAG_LABELS[row.rag]),
        _reasons(row),
    ]
    return values


def _formats(headers):
    """Number format per column by its header (percent, money, integers as they are)."""
    out = {}
    for i, h in enumerate(headers):
        if "率" in h:
            out[i] = PERCENT
        elif "金额" in h or h in (_("本季收缴"), _("已上缴"), _("上级已确认")):
            out[i] = MONEY
        elif h == _("综合得分"):
            out[i] = "0.0"
    return out


class Sheet:
    """A write-only sheet with a bold, filled header row frozen at the top, widths and formats."""

    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="F2DCDB")

    def __init__(self, wb, title, headers, widths, *, freeze="B2"):
        self.ws = wb.create_sheet(title=title)
        self.ws.freeze_panes = freeze
        for i, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = width
        cells = []
        for text in headers:
            cell = WriteOnlyCell(self.ws, value=str(text))
            cell.font, cell.fill = self.header_font, self.header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            cells.append(cell)
        self.ws.append(cells)
        self.formats = _formats([str(h) for h in headers])
        self.rows = 0

    def append(self, values, fills=None):
        cells = []
        for i, value in enumerate(values):
            cell = WriteOnlyCell(self.ws, value=value)
            fmt = self.formats.get(i)
            if fmt and value is not None:
                cell.number_format = fmt
            elif isinstance(value, datetime.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
            if fills and i in fills:
                cell.fill = fills[i]
            cells.append(cell)
        self.ws.append(cells)
        self.rows += 1


def build_workbook(org, period, *, today=None, on_progress=None, every=200):
    """(xlsx bytes, number of branches) for `org`'s subtree and quarter `period`."""
    day = judged_on(period, today)
    figures = m.branch_metrics(org, period, today=day)
    rows = sorted(figures.branches, key=lambda r: (r.rank, r.path))
    total = len(rows) + 3
    wb = Workbook(write_only=True)

    headers = summary_headers()
    widths = [6, 28, 16] + [8] * (3 * len(RULES)) + [10] * (len(headers) - 3 - 3 * len(RULES) - 1) + [40]
    summary = Sheet(wb, _("汇总"), headers, widths, freeze="C2")
    fills = {rag: PatternFill("solid", fgColor=color) for rag, color in RAG_FILLS.items()}
    rag_col = len(headers) - 2
    for done, row in enumerate(rows, start=1):
        # The red / amber / green cell is coloured.
        summary.append(summary_row(row), fills={rag_col: fills[row.rag]})
        if on_progress and done % every == 0:
            on_progress(done, total)

    _meetings_sheet(wb, org, period)
    if on_progress:
        on_progress(len(rows) + 1, total)
    _arrears_sheet(wb, org, day)
    if on_progress:
        on_progress(len(rows) + 2, total)
    _items_sheet(wb, org, day)
    _notes_sheet(wb, org, period, day)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), len(rows)


def _meetings_sheet(wb, org, period):
    from meetings.models import Meeting

    sheet = Sheet(
        wb,
        _("会议明细"),
        [
            _("党组织"),
            _("会议类型"),
            _("召开日期"),
            _("会议主题"),
            _("应到人数"),
            _("实到人数"),
            _("出勤率"),
            _("签字锁定时间"),
            _("报送上级时间"),
            _("记录状态"),
        ],
        [28, 14, 12, 36, 10, 10, 10, 18, 18, 14],
    )
    qs = (
        Meeting.objects.locked()
        .filter(organization__path__startswith=org.path, held_on__gte=period.start, held_on__lte=period.end)
        .order_by("organization__path", "held_on", "pk")
        .values_list(
            "organization__name",
            "kind",
            "held_on",
            "topic",
            "expected_count",
            "present_count",
            "locked_at",
            "submitted_at",
            "minutes_state",
        )
    )
    from meetings.models import MeetingKind, MinutesState

    kinds, states = dict(MeetingKind.choices), dict(MinutesState.choices)
    for name, kind, held, topic, expected, present, locked, submitted, state in qs.iterator(chunk_size=2000):
        rate = m.pct(present, expected)
        sheet.append(
            [
                name,
                str(kinds.get(kind, kind)),
                held,
                topic,
                expected,
                present,
                rate,
                timezone.localtime(locked).replace(tzinfo=None) if locked else None,
                timezone.localtime(submitted).replace(tzinfo=None) if submitted else None,
                str(states.get(state, state)),
            ]
        )


def _arrears_sheet(wb, org, day):
    from dues.selectors import arrears_in_subtree
    from members.models import Member

    sheet = Sheet(
        wb,
        _("欠交党费名单"),
        [
            _("党员"),
            _("所在支部"),
            _("欠交月数"),
            _("欠交金额"),
            _("最早欠交月份"),
            _("连续未交月数"),
            _("自行脱党审查"),
        ],
        [14, 28, 10, 12, 14, 12, 12],
    )
    listed = arrears_in_subtree(org.path, day)
    for start in range(0, len(listed), 2000):
        chunk = listed[start : start + 2000]
        names = {
            pk: (name, branch)
            for pk, name, branch in Member.objects.filter(pk__in=[mid for mid, _a in chunk]).values_list(
                "pk", "name", "branch__name"
            )
        }
        for member_id, a in chunk:
            name, branch = names.get(member_id, ("", ""))
            sheet.append(
                [name, branch, a.months, a.amount, a.oldest_label, a.run, _("是") if a.lapse_review else ""]
            )


def _items_sheet(wb, org, day):
    from rectifications.models import ACTIVE_STATUSES, Item, ItemStatus

    sheet = Sheet(
        wb,
        _("未销号整改事项"),
        [_("整改台账"), _("序号"), _("问题"), _("整改时限"), _("状态"), _("是否超期"), _("最近报送日期")],
        [28, 6, 48, 12, 12, 10, 14],
    )
    statuses = dict(ItemStatus.choices)
    qs = (
        Item.objects.assigned_to(org)
        .filter(status__in=ACTIVE_STATUSES)
        .order_by("deadline", "pk")
        .values_list("ledger__title", "seq", "problem", "deadline", "status", "last_update_on")
    )
    for title, seq, problem, deadline, status, last_update in qs.iterator(chunk_size=2000):
        sheet.append(
            [
                title,
                seq,
                problem,
                deadline,
                str(statuses.get(status, status)),
                _("是") if deadline < day else "",
                last_update,
            ]
        )


NOTES = (
    (
        gettext_lazy("排名、综合得分"),
        gettext_lazy(
            "各项比率按评分规则（ScoreRule，可在系统管理中调整权重）加权平均，满分100；得分相同按组织路径排序。"
        ),
    ),
    (
        gettext_lazy("应开/已开/状态"),
        gettext_lazy(
            "三会一课合规引擎：会议记录签字锁定后计入，按召开日期所在周期统计；状态为已达标、进行中、补录（逾期锁定）、未达标、不适用。"
        ),
    ),
    (gettext_lazy("会议达标率"), gettext_lazy("已判定的规则中达标或补录的比例；进行中的规则不计入。")),
    (gettext_lazy("出勤率"), gettext_lazy("本季已锁定会议的实到人次 ÷ 应到人次。")),
    (gettext_lazy("收缴率（按人数）"), gettext_lazy("本季有应交党费的党员中，已交清本季各月的人数比例。")),
    (gettext_lazy("收缴率（按金额）"), gettext_lazy("本季各月已分配的实交金额 ÷ 应交金额（党费台账）。")),
    (
        gettext_lazy("欠交人数"),
        gettext_lazy(
            "截至统计日（季度结束次日）按欠交月数分为1-2、3-5、6个月以上；连续6个月未交列入自行脱党审查（党章第九条）。"
        ),
    ),
    (gettext_lazy("上缴状态"), gettext_lazy("本季收缴金额与向上级党组织上缴、上级确认的金额比较。")),
    (
        gettext_lazy("整改"),
        gettext_lazy(
            "责任单位包含该支部的整改事项：未销号、超期（截至统计日）、本季销号；销号率 = 本季销号 ÷（本季销号 + 未销号）。"
        ),
    ),
    (gettext_lazy("发展步骤超期"), gettext_lazy("发展党员下一步骤已过期限的人数。")),
    (
        gettext_lazy("红黄绿"),
        gettext_lazy(
            "有未达标规则、自行脱党审查、整改超期或发展步骤超期，或得分低于评分规则阈值，则为红或黄。"
        ),
    ),
)


def _notes_sheet(wb, org, period, day):
    sheet = Sheet(wb, _("说明"), [_("指标"), _("计算方法")], [22, 100], freeze="A2")
    sheet.append([_("党组织"), org.name])
    sheet.append([_("统计期间"), f"{period.code}（{period.start} 至 {period.end}）"])
    sheet.append([_("统计日"), day])
    sheet.append([_("生成时间"), timezone.localtime().replace(tzinfo=None, microsecond=0)])
    for name, text in NOTES:
        sheet.append([str(name), str(text)])
