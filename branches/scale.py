"""Scale data for the org tree: a city 党委 → district 党委 → 党总支 → 党支部 → 党小组.

Paths are computed here and rows bulk-inserted (treebeard's per-node add_child would take minutes
at tier M); the result is the same tree treebeard would build, `numchild` included."""

import datetime

from .models import Organization, OrgField, OrgKind, TermRule

SHAPES = {
    # committees under the root, 党总支 per committee, branches per 党总支, branches directly under a
    # committee; each branch gets 1 or 2 party groups (alternating).
    "S": {"committees": 4, "generals": 5, "branches": 3, "direct": 7},
    "M": {"committees": 40, "generals": 25, "branches": 5, "direct": 10},
}
FIELDS = [
    OrgField.ORGAN,
    OrgField.ENTERPRISE,
    OrgField.COMMUNITY,
    OrgField.VILLAGE,
    OrgField.SCHOOL,
    OrgField.NEW_SECTORS,
]
DISTRICTS = "东西南北中"
BATCH = 2000


def _next_root_step():
    last = Organization.objects.filter(depth=1).order_by("-path").first()
    return Organization._str2int(last.path) + 1 if last else 1


def generate(ctx):
    shape = SHAPES[ctx["tier"]]
    rng = ctx["rng"]
    rows = []

    def node(parent, step, **fields):
        path = Organization._get_path(
            parent.path if parent else None, (parent.depth + 1) if parent else 1, step
        )
        org = Organization(path=path, depth=len(path) // Organization.steplen, numchild=0, **fields)
        rows.append(org)
        if parent is not None:
            parent.numchild += 1
        return org

    term_years = {field: TermRule.years_for(Organization(field=field)) for field in FIELDS}

    def term(field):
        years = term_years[field]
        start = datetime.date(2021 + rng.randint(0, 4), rng.randint(1, 12), rng.randint(1, 28))
        return start, start.replace(year=start.year + years) - datetime.timedelta(days=1)

    root = node(
        None,
        _next_root_step(),
        name=f"规模测试市委（{ctx['tier']}）",
        kind=OrgKind.COMMITTEE,
        field=OrgField.ORGAN,
        code=ctx["code"],
    )
    branch_no = 0

    def branch(parent, step, field):
        nonlocal branch_no
        branch_no += 1
        start, end = term(field)
        b = node(
            parent,
            step,
            name=f"{parent.short_name}第{branch_no}党支部",
            short_name=f"支部{branch_no}",
            kind=OrgKind.BRANCH,
            field=field,
            code=f"{ctx['code']}-B{branch_no}",
            term_start=start,
            term_end=end,
            is_weak=rng.random() < 0.03,
        )
        for g in range(1 + branch_no % 2):
            node(b, g + 1, name=f"{b.short_name}第{g + 1}党小组", kind=OrgKind.PARTY_GROUP, field=field)

    for c in range(shape["committees"]):
        field = FIELDS[c % len(FIELDS)]
        short = f"{DISTRICTS[c % 5]}{c + 1}区"
        committee = node(
            root,
            c + 1,
            name=f"{short}党委",
            short_name=short,
            kind=OrgKind.COMMITTEE,
            field=field,
            code=f"{ctx['code']}-C{c + 1}",
        )
        for g in range(shape["generals"]):
            start, end = term(field)
            general = node(
                committee,
                g + 1,
                name=f"{short}第{g + 1}党总支",
                short_name=f"{short}{g + 1}总支",
                kind=OrgKind.GENERAL_BRANCH,
                field=field,
                term_start=start,
                term_end=end,
            )
            for b in range(shape["branches"]):
                branch(general, b + 1, field)
        for b in range(shape["direct"]):
            branch(committee, shape["generals"] + b + 1, field)

    for i in range(0, len(rows), BATCH):
        Organization.objects.bulk_create(rows[i : i + BATCH])
    ctx["root"] = Organization.objects.get(path=root.path)
    return f"{len(rows)} organisations"


def delete(ctx):
    """Remove a generated tree: children first is not needed — one subtree delete."""
    Organization.objects.filter(path__startswith=ctx["root"].path).delete()
