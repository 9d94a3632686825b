"""Demo 三会一课 for the secretary's branch (办公室党支部, DEMO-B1): the last three months of locked
meetings (支委会 and 主题党日 monthly, 党小组会 per group, a 党员大会 and a 党课 in the quarter),
the latest 支委会 submitted to the 机关党委 for review, one meeting planned for next week, a draft
party-group meeting waiting for signatures, an action item for the demo member and a few talks.

Everything goes through meetings.services (as the demo secretary and the demo member, who is the
recorder), so the quorum, the sign-off trail and the audit entries are real. Idempotent."""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from branches.models import CommitteePost, Organization, OrgKind, PostRole
from members.models import ACTIVE_STATUSES, Member

from . import services
from .models import AttendanceStatus, LecturerType, Meeting, MeetingKind, TalkPairType

MINUTES = {
    MeetingKind.COMMITTEE_MEETING: "一、传达上级党委近期工作部署；\n二、研究本月支部工作安排；\n三、讨论党员教育管理有关事项。\n会议一致同意本月工作安排。",
    MeetingKind.THEMED_DAY: "全体党员重温入党誓词，集中学习党章有关内容，并开展志愿服务活动。",
    MeetingKind.GROUP_MEETING: "小组成员交流近期学习体会，汇报思想和工作情况，组长布置下月学习任务。",
    MeetingKind.GENERAL_MEETING: "一、支部书记通报本季度支部工作；\n二、讨论通过下季度工作计划；\n三、党员代表交流发言。",
    MeetingKind.PARTY_LECTURE: "支部书记围绕“坚定理想信念、践行初心使命”讲授专题党课，党员交流学习体会。",
}


def seed(ctx):
    branch = Organization.objects.filter(code="DEMO-B1").first()
    if branch is None or Meeting.objects.filter(organization=branch).exists():
        return
    User = get_user_model()
    secretary = User.objects.get(username="secretary")
    member_user = User.objects.get(username="member")
    today = ctx["today"]
    host = CommitteePost.objects.secretary_of(branch, on=today)
    recorder = Member.objects.get(user=member_user)
    groups = list(Organization.objects.filter(path__startswith=branch.path, kind=OrgKind.PARTY_GROUP))
    leaders = {
        p.organization_id: p.member
        for p in CommitteePost.objects.current(on=today)
        .filter(organization__in=groups, role=PostRole.GROUP_LEADER)
        .select_related("member")
    }
    rng = ctx["rng"]

    def held(kind, day, topic, *, group=None, sign=True, votes=(), **extra):
        meeting = services.meeting_record(
            user=secretary,
            organization=branch,
            kind=kind,
            topic=topic,
            held_on=day,
            place="机关三楼党员活动室",
            host=leaders.get(group.pk, host) if group else host,
            recorder=recorder,
            party_group=group,
            minutes=MINUTES[kind],
            **extra,
        )
        lines = list(meeting.attendance.filter(expected=True))
        absent = (
            {line.member_id for line in rng.sample(lines, k=min(2, len(lines) - 2))}
            if len(lines) > 4
            else set()
        )
        rows = [
            {
                "member": line.member_id,
                "status": AttendanceStatus.LEAVE if line.member_id in absent else AttendanceStatus.PRESENT,
                "reason": "出差" if line.member_id in absent else "",
            }
            for line in lines
        ]
        result = services.attendance_save(user=secretary, meeting=meeting, rows=rows)
        for text in votes:
            resolution = services.resolution_add(user=secretary, meeting=meeting, text=text, put_to_vote=True)
            services.resolution_vote(
                user=secretary,
                resolution=resolution,
                votes_for=result.voting_present,
                votes_against=0,
                votes_abstain=0,
            )
        if sign:
            services.meeting_sign(user=member_user, meeting=meeting, role="recorder")
            # The host signs a 党小组会; a host without a login is signed for by a branch officer.
            signer = secretary
            if kind == MeetingKind.GROUP_MEETING and meeting.host.user_id:
                signer = meeting.host.user
            services.meeting_sign(user=signer, meeting=meeting, role="secretary")
            # The demo is loaded today, but these minutes were signed the day after each meeting:
            # dated so, they count as signed in time rather than made up late (补录).
            signed = timezone.make_aware(
                datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(18))
            )
            Meeting.objects.filter(pk=meeting.pk).update(
                recorder_signed_at=signed, secretary_signed_at=signed, locked_at=signed
            )
            meeting.refresh_from_db()
        return meeting

    months = []
    first = today.replace(day=1)
    for back in (3, 2, 1):
        month = first
        for _ in range(back):
            month = (month - datetime.timedelta(days=1)).replace(day=1)
        months.append(month)
    if today.day > 10:
        months.append(first)
    committee_meetings = []
    for month in months:
        label = f"{month.month}月"
        committee_meetings.append(held(MeetingKind.COMMITTEE_MEETING, month.replace(day=5), f"{label}支委会"))
        held(MeetingKind.THEMED_DAY, month.replace(day=10), f"{label}主题党日：重温入党誓词")
        for g, group in enumerate(groups):
            # The latest meeting of the first group waits for its signatures (a draft to show).
            held(
                MeetingKind.GROUP_MEETING,
                month.replace(day=8),
                f"{label}{group.name}学习会",
                group=group,
                sign=not (month == months[-1] and g == 0),
            )
    quarter_day = months[-2].replace(day=20)
    held(
        MeetingKind.GENERAL_MEETING,
        quarter_day,
        "季度党员大会：讨论下季度工作计划",
        votes=["通过下季度工作计划"],
    )
    held(
        MeetingKind.PARTY_LECTURE,
        months[-2].replace(day=25),
        "专题党课：坚定理想信念",
        lecturer=host,
        lecturer_type=LecturerType.BRANCH_SECRETARY,
    )
    reviewer = User.objects.filter(username="committee").first() or ctx["admin"]
    for meeting in committee_meetings[:-1]:
        services.minutes_submit(user=secretary, meeting=meeting)
        services.minutes_review(user=reviewer, meeting=meeting, accept=True, comment="记录规范")
    services.minutes_submit(user=secretary, meeting=committee_meetings[-1])
    latest = committee_meetings[-1]
    services.action_item_add(
        user=secretary,
        meeting=latest,
        text="整理本月学习材料并报送支部",
        owner=recorder,
        due_on=today + datetime.timedelta(days=10),
    )
    services.meeting_plan(
        user=secretary,
        organization=branch,
        kind=MeetingKind.THEMED_DAY,
        topic="主题党日：参观廉政教育基地",
        planned_on=today + datetime.timedelta(days=7),
        place="市廉政教育基地",
        agenda="一、集体参观；\n二、交流体会。",
    )
    on_committee = (
        CommitteePost.objects.current(on=today)
        .filter(organization=branch)
        .values_list("member_id", flat=True)
    )
    plain = list(
        Member.objects.filter(branch=branch, status__in=ACTIVE_STATUSES)
        .exclude(pk__in=on_committee)
        .exclude(pk=recorder.pk)
        .order_by("pk")[:2]
    )
    for i, (pair_type, parties) in enumerate(
        [(TalkPairType.COMMITTEE_MEMBER, [host, recorder]), (TalkPairType.MEMBER_MEMBER, plain)]
    ):
        services.talk_record(
            user=secretary,
            organization=branch,
            held_on=today - datetime.timedelta(days=20 + i * 15),
            pair_type=pair_type,
            participants=parties,
            topic="年度谈心谈话",
            summary="交流思想和工作情况，听取意见建议。",
        )
