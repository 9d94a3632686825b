"""The national defaults of the 三会一课 rule set (domain spec §2.1) — what migration 0002 writes into
the table, and what the engine applies while the table holds no row at all (a flushed database):
without them every obligation would silently read as "not applicable"."""

import datetime

EFFECTIVE = datetime.date(2018, 10, 28)  # 中国共产党支部工作条例（试行）
REGULATION = "中国共产党支部工作条例（试行）2018"
LOCAL = "地方通行做法（可按辖区调整）"
# code: (frequency, min_count, min_full_members, source)
DEFAULTS = {
    "committee_meeting": ("month", 1, 7, REGULATION + "第十二条；7名以上正式党员设支委会（第二十一条）"),
    "group_meeting": ("month", 1, 0, REGULATION + "第十三条"),
    "general_meeting": ("quarter", 1, 0, REGULATION + "第十一条"),
    "party_lecture": ("quarter", 1, 0, LOCAL),
    "themed_day": ("month", 1, 0, REGULATION + "第十六条"),
    "org_life": ("year", 1, 0, REGULATION + "第十七条"),
    "appraisal": ("year", 1, 0, REGULATION),
    "secretary_lecture": ("year", 1, 0, LOCAL),
    "talk": ("year", 1, 0, REGULATION + "（每类谈话对象每年至少1次）"),
}


def default_rules():
    """Unsaved ComplianceRule rows for the national defaults."""
    from .models import ComplianceRule

    return [
        ComplianceRule(
            code=code,
            enabled=True,
            frequency=frequency,
            min_count=count,
            min_full_members=full,
            effective_from=EFFECTIVE,
            source=source,
        )
        for code, (frequency, count, full, source) in DEFAULTS.items()
    ]
