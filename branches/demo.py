"""Demo org tree: a 机关党委 with a 党总支, five branches and their party groups."""

import datetime

from django.contrib.auth import get_user_model

from .models import Grant, Organization, OrgField, OrgKind, _add_years

ROOT_CODE = "DEMO-JG"

BRANCHES = [
    # (name, short name, under the 党总支?)
    ("办公室党支部", "办公室", True),
    ("综合规划处党支部", "规划处", True),
    ("政策法规处党支部", "法规处", False),
    ("财务审计处党支部", "财审处", False),
    ("离退休干部党支部", "离退休", False),
]


def seed(ctx):
    root = Organization.objects.filter(code=ROOT_CODE).first()
    if root is None:
        root = _tree(ctx["today"])
    ctx["root"] = root
    User = get_user_model()
    committee, _ = User.objects.get_or_create(username="committee", defaults={"name": "机关党委 党务专干"})
    ctx["set_password"](committee)
    Grant.objects.get_or_create(user=committee, organization=root, defaults={"granted_by": ctx["admin"]})


def _tree(today):
    root = Organization.objects.add_root(
        {
            "name": "江城市发展和改革委员会机关党委",
            "short_name": "发改委机关党委",
            "kind": OrgKind.COMMITTEE,
            "field": OrgField.ORGAN,
            "code": ROOT_CODE,
            "established_on": datetime.date(1998, 7, 1),
            "term_start": datetime.date(2023, 6, 20),
            "term_end": datetime.date(2028, 6, 19),
            "address": "江城市人民路100号",
        }
    )
    general = Organization.objects.add_child(
        root,
        {
            "name": "综合处室党总支",
            "short_name": "综合党总支",
            "kind": OrgKind.GENERAL_BRANCH,
            "field": OrgField.ORGAN,
            "code": "DEMO-ZZ",
            "term_start": datetime.date(2024, 3, 15),
            "term_end": datetime.date(2027, 3, 14),
        },
    )
    for index, (name, short, under_general) in enumerate(BRANCHES, start=1):
        parent = Organization.objects.get(pk=general.pk if under_general else root.pk)
        if index == 3:
            # This branch's term ends within six months, so the demo shows the term warning.
            start = _add_years(today, -3) + datetime.timedelta(days=120)
        else:
            start = datetime.date(2024, index + 2, 10)
        branch = Organization.objects.add_child(
            parent,
            {
                "name": name,
                "short_name": short,
                "kind": OrgKind.BRANCH,
                "field": OrgField.ORGAN,
                "code": f"DEMO-B{index}",
                "established_on": datetime.date(2005 + index, 7, 1),
                "term_start": start,
                "term_end": _add_years(start, 3) - datetime.timedelta(days=1),
            },
        )
        for g in range(2):
            Organization.objects.add_child(
                branch,
                {
                    "name": f"{short}第{'一二'[g]}党小组",
                    "kind": OrgKind.PARTY_GROUP,
                    "field": OrgField.ORGAN,
                },
            )
    return root
