"""The quarterly workbook against a hand-built quarter (tests/dashboards' world: 2026-Q2 in branch
a): its figures are the compliance engine's and the dues ledger's; regenerating gives the same."""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Sum
from openpyxl import load_workbook

from compliance import engine
from compliance.metrics import branch_metrics
from compliance.models import QuarterlyReport, ReportStatus, RuleCode
from compliance.periods import parse_period
from compliance.reports import build_workbook, quarterly_reports_request, report_request, summary_headers
from notifications.models import Channel, ReminderKind
from tests.dashboards.conftest import TODAY

pytestmark = pytest.mark.django_db
Q2 = parse_period("2026-Q2")


def sheets(content):
    wb = load_workbook(io.BytesIO(content), read_only=False)
    return wb


def summary_rows(wb):
    ws = wb["汇总"]
    rows = list(ws.iter_rows(values_only=True))
    return rows[0], {r[1]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}


def test_workbook_figures_match_the_engine_and_the_ledger(cast, world):
    from dues.models import DuesObligation, PaymentAllocation, period_of

    with time_machine.travel(TODAY):
        content, branches = build_workbook(cast.c1, Q2)
    assert branches == 2
    wb = sheets(content)
    assert wb.sheetnames == ["汇总", "会议明细", "欠交党费名单", "未销号整改事项", "说明"]
    headers, rows = summary_rows(wb)
    assert list(headers) == [str(h) for h in summary_headers()]
    a = rows["甲党支部"]
    # The engine's own result for the quarter, judged on the day after it.
    report = engine.evaluate(cast.c1, Q2, today=datetime.date(2026, 7, 1))
    mine = report.branch(cast.a.pk)
    for code, result in mine.rules.items():
        label = RuleCode(code).label
        if result.applicable:
            assert a[f"{label}·应开"] == result.required and a[f"{label}·已开"] == result.held
            assert a[f"{label}·状态"] == str(result.status_label)
    assert a["支委会·状态"] == "未达标" and a["支委会·已开"] == 2
    # The dues ledger, summed directly: Q2 charges and the allocations to Q2's months.
    q2 = (period_of(datetime.date(2026, 4, 1)), period_of(datetime.date(2026, 6, 1)))
    due = DuesObligation.objects.filter(branch=cast.a, period__range=q2).aggregate(s=Sum("amount"))["s"]
    paid = PaymentAllocation.objects.filter(member__branch=cast.a, period__range=q2).aggregate(
        s=Sum("amount")
    )["s"]
    assert Decimal(str(a["应交金额"])) == due == Decimal("240.00")
    assert Decimal(str(a["实交金额"])) == paid == Decimal("210.00")
    assert a["收缴率（按金额）"] == 87.5 and a["收缴率（按人数）"] == 87.5
    assert (a["欠交6个月以上人数"], a["自行脱党审查人数"]) == (1, 1)
    assert (a["整改未销号"], a["整改超期"], a["本季销号"], a["销号率"]) == (1, 1, 1, 50)
    assert a["发展步骤超期"] == 1 and a["红黄绿"] == "红" and a["排名"] == 1
    assert "支委会未达标" in a["原因"]
    # The same function the dashboards use, on the same day.
    figures = branch_metrics(cast.c1, Q2, today=datetime.date(2026, 7, 1)).branch(cast.a.pk)
    assert Decimal(str(a["综合得分"])) == figures.score and a["出勤率"] == float(figures.attendance_rate)
    # Detail sheets.
    meetings = list(wb["会议明细"].iter_rows(values_only=True))[1:]
    assert len(meetings) == 10 and all(r[0] == "甲党支部" for r in meetings)
    arrears = list(wb["欠交党费名单"].iter_rows(values_only=True))[1:]
    assert [(r[1], r[2], r[6]) for r in arrears] == [("甲党支部", 6, "是")]
    items = list(wb["未销号整改事项"].iter_rows(values_only=True))[1:]
    assert [(r[2], r[5]) for r in items] == [("记录不规范", "是")]
    # Frozen headers, widths, number formats.
    ws = wb["汇总"]
    assert ws.freeze_panes == "C2" and ws.column_dimensions["B"].width == 28
    rate_col = list(headers).index("收缴率（按金额）") + 1
    assert ws.cell(row=2, column=rate_col).number_format == '0.0"%"'
    money_col = list(headers).index("应交金额") + 1
    assert ws.cell(row=2, column=money_col).number_format == "#,##0.00"
    notes = [r[0] for r in wb["说明"].iter_rows(values_only=True)]
    assert "收缴率（按金额）" in notes and "红黄绿" in notes


def test_regenerating_gives_the_same_figures(cast, world):
    with time_machine.travel(TODAY):
        first, _n = build_workbook(cast.c1, Q2)
    with time_machine.travel(TODAY + datetime.timedelta(days=40)):
        second, _n = build_workbook(cast.c1, Q2)
    for name in ("汇总", "会议明细", "欠交党费名单", "未销号整改事项"):
        a = list(sheets(first)[name].iter_rows(values_only=True))
        b = list(sheets(second)[name].iter_rows(values_only=True))
        assert a == b, name


def test_requested_report_is_stored_and_the_recipients_notified(
    cast, world, media_root, django_capture_on_commit_callbacks
):
    with time_machine.travel(TODAY), django_capture_on_commit_callbacks(execute=True):
        report = report_request(organization=cast.c1, period="2026-Q2", user=cast.committee)
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE and report.branches == 2 and report.progress == 100
    assert report.file.name.endswith("2026-Q2.xlsx")
    from notifications.models import Delivery

    [note] = Delivery.objects.filter(kind=ReminderKind.REPORT_READY, channel=Channel.IN_APP)
    assert note.recipient == cast.committee and "2026-Q2" in note.title
    # Regenerating keeps one row and one file.
    with time_machine.travel(TODAY), django_capture_on_commit_callbacks(execute=True):
        again = report_request(organization=cast.c1, period="2026-Q2", user=cast.committee)
    assert again.pk == report.pk and QuarterlyReport.objects.count() == 1
    again.refresh_from_db()
    assert again.runs == 2
    files = list((media_root / "reports").rglob("*.xlsx"))
    assert len(files) == 1


def test_bad_period_names_the_field(cast):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        report_request(organization=cast.c1, period="2026-07")
    assert "period" in exc.value.message_dict


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime.datetime(2026, 6, 30, 23, 59), None),  # the quarter's last minute: Q1 already done
        (datetime.datetime(2026, 7, 1, 1, 0), "2026-Q2"),  # the first day after it
    ],
)
def test_beat_job_makes_last_quarters_report_for_every_committee(
    cast, media_root, moment, expected, django_capture_on_commit_callbacks
):
    from zoneinfo import ZoneInfo

    QuarterlyReport.objects.create(organization=cast.c1, period="2026-Q1", status=ReportStatus.DONE)
    QuarterlyReport.objects.create(organization=cast.c2, period="2026-Q1", status=ReportStatus.DONE)
    QuarterlyReport.objects.create(organization=cast.root, period="2026-Q1", status=ReportStatus.DONE)
    with (
        time_machine.travel(moment.replace(tzinfo=ZoneInfo("Asia/Shanghai"))),
        django_capture_on_commit_callbacks(execute=True),
    ):
        created = quarterly_reports_request()
        again = quarterly_reports_request()
    assert again == 0
    if expected is None:
        assert created == 0
    else:
        assert created == 3
        done = QuarterlyReport.objects.filter(period=expected)
        assert {r.organization_id for r in done} == {cast.root.pk, cast.c1.pk, cast.c2.pk}
        assert all(r.status == ReportStatus.DONE for r in done)
