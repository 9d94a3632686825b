"""Demo rectification data: the demo 机关党委 issued a 巡察 ledger with items for 办公室党支部 (the
demo secretary's branch) in several states — open, claimed, in progress, waiting for verification,
closed, one overdue — and the demo member left a suggestion that was answered and turned into an
item. Idempotent: a second run finds the ledger and changes nothing."""

import datetime

from django.contrib.auth import get_user_model

from branches.models import Organization

from . import services
from .models import Ledger, LedgerSource

TITLE = "巡察反馈问题整改台账"

ITEMS = [
    # (category, problem, measures, days until the deadline, state)
    (
        "组织建设",
        "三会一课记录不规范，部分支委会无记录人签字",
        ["逐项补齐会议记录并签字", "组织委员每月检查一次"],
        45,
        "open",
    ),
    (
        "党员教育管理",
        "党员学习积极性不高，集中学习出勤率偏低",
        ["制定年度学习计划", "学习情况纳入民主评议"],
        60,
        "claimed",
    ),
    ("作风建设", "谈心谈话开展不经常，覆盖面不足", ["支部书记每季度与每名党员谈心一次"], 30, "in_progress"),
    (
        "制度建设",
        "党费收缴台账不完整",
        ["补齐近一年党费收缴台账", "按月公示党费收缴情况"],
        20,
        "closeout_requested",
    ),
    ("阵地建设", "党员活动室标识不规范", ["更新活动室标识和制度上墙"], 10, "closed"),
    ("纪律建设", "廉政风险点排查不全面", ["重新梳理岗位廉政风险点", "建立防控措施清单"], -12, "in_progress"),
]


def seed(ctx):
    root, today = ctx["root"], ctx["today"]
    if Ledger.objects.filter(issuer=root, title=TITLE).exists():
        return
    User = get_user_model()
    committee = User.objects.get(username="committee")
    secretary = User.objects.get(username="secretary")
    member_user = User.objects.get(username="member")
    branch = Organization.objects.get(code="DEMO-B1")
    lead = secretary.member
    ledger = services.ledger_create(
        user=committee,
        issuer=root,
        source=LedgerSource.INSPECTION,
        title=TITLE,
        issued_on=today - datetime.timedelta(days=75),
        deadline=today + datetime.timedelta(days=60),
        description="市委第三巡察组反馈问题，各支部认领后每月28日前报送推进情况。",
    )
    for category, problem, measures, days, state in ITEMS:
        item = services.item_create(
            user=committee,
            ledger=ledger,
            category=category,
            problem=problem,
            measures=measures,
            units=[branch],
            lead_person=lead,
            # The demo member shares the 谈心谈话 item: their 我的整改事项 is not empty.
            responsible_people=[lead, member_user.member] if category == "作风建设" else [lead],
            deadline=today + datetime.timedelta(days=days),
        )
        if state == "open":
            continue
        services.item_claim(user=secretary, item=item)
        if state == "claimed":
            continue
        services.item_progress_add(
            user=secretary, item=item, text="已召开支委会专题研究，明确整改分工和时间表。", on=today
        )
        if state == "in_progress":
            continue
        services.item_request_closeout(user=secretary, item=item, summary="整改措施已全部落实。")
        if state == "closed":
            services.item_verify(user=committee, item=item, comment="经核查，整改到位，同意销号。")

    suggestion, _code = services.suggestion_submit(
        user=member_user,
        recipient=branch,
        subject="建议主题党日活动形式更多样",
        body="近几次主题党日都是集中学习文件，建议增加现场教学、志愿服务等形式。",
    )
    services.suggestion_reply(
        user=secretary, suggestion=suggestion, body="感谢建议。下月主题党日将安排到红色教育基地开展现场教学。"
    )
    services.suggestion_convert(
        user=secretary,
        suggestion=suggestion,
        problem="主题党日活动形式单一",
        category="组织建设",
        units=[branch],
        measures=["每季度至少安排一次现场教学或志愿服务"],
        deadline=today + datetime.timedelta(days=90),
    )
