"""Time the roster import at 5,000 rows: upload + dry run, apply, a re-import of the same file (all
unchanged), and an import that changes every row's phone number (all updates).

    .venv/bin/python scripts/bench_member_import.py [--rows 5000] [--others 10000]

Database: a throwaway test database created and dropped by Django's test machinery on whatever
DATABASE_URL points at — with nothing set, a temporary SQLite *file* (not in-memory, so the numbers
are those of the embedded default); with DATABASE_URL=postgres://…/partyaffairs, a database named
test_partyaffairs on that server. The configured database itself is never touched. Uploaded files go
to a temporary MEDIA_ROOT.
"""

import argparse
import datetime
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyaffairs.settings")


def make_id(n):
    from members.protected import ID_CHECK_CODES, ID_WEIGHTS

    born = datetime.date(1960, 1, 1) + datetime.timedelta(days=n // 450)
    body = f"110105{born:%Y%m%d}{(n % 450) * 2 + 101:03d}"
    return body + ID_CHECK_CODES[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def roster_rows(count, *, phone_prefix="139"):
    """A realistic branch roster: mostly full members, some probationary, some in the pipeline."""
    groups = ["第一党小组", "第二党小组", "第三党小组"]
    for n in range(count):
        kind = n % 20
        row = {
            "姓名": f"测试{n:05d}",
            "民族": "汉族",
            "学历": ["大学本科", "研究生", "大学专科"][n % 3],
            "身份证号": make_id(n),
            "手机号码": f"{phone_prefix}{n:08d}",
            "党小组": groups[n % 3],
            "党费类别": "离退休" if n % 7 == 0 else "在职",
            "老弱病残": "是" if n % 50 == 0 else "否",
            "困难党员": "否",
            "不计入应到会人数": "否",
        }
        if kind < 14:
            row.update(政治面貌="正式党员", 入党日期="2005-07-01", 转正日期="2006-07-01")
        elif kind < 16:
            row.update(政治面貌="预备党员", 递交入党申请书日期="2022-03-01", 入党日期="2024-11-01")
            row.update(确定为入党积极分子日期="2022-06-01", 确定为发展对象日期="2023-09-01")
        elif kind < 18:
            row.update(
                政治面貌="入党积极分子", 递交入党申请书日期="2024-03-01", 确定为入党积极分子日期="2024-06-01"
            )
        elif kind < 19:
            row.update(
                政治面貌="发展对象", 确定为入党积极分子日期="2023-01-05", 确定为发展对象日期="2024-02-01"
            )
        else:
            row.update(政治面貌="入党申请人", 递交入党申请书日期="2025-01-10")
        yield row


def workbook_bytes(rows):
    from members.importer import template_workbook

    wb = template_workbook()
    ws = wb["花名册"]
    headers = [c.value for c in ws[1]]
    for row in rows:
        ws.append([row.get(h) for h in headers])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def build_tree(others):
    from django.contrib.auth import get_user_model

    from branches.models import CommitteePost, Organization, PostRole
    from members.models import Member

    root = Organization.objects.add_root({"name": "基准党委", "kind": "committee", "field": "organ"})
    branch = Organization.objects.add_child(root, {"name": "基准党支部", "kind": "branch", "field": "organ"})
    other = Organization.objects.add_child(root, {"name": "其他党支部", "kind": "branch", "field": "organ"})
    for name in ("第一党小组", "第二党小组", "第三党小组"):
        Organization.objects.add_child(branch, {"name": name, "kind": "party_group", "field": "organ"})
    user = get_user_model().objects.create_user(username="bench_secretary", password="x" * 20, name="书记")
    secretary = Member.objects.create(name="基准书记", gender="male", branch=branch, user=user)
    CommitteePost.objects.create(
        organization=branch, role=PostRole.SECRETARY, member=secretary, started_on=datetime.date(2024, 1, 1)
    )
    # Other people in the database, so the ID lookup is not against an empty table.
    batch = []
    for n in range(others):
        member = Member(name=f"他人{n}", gender="male", branch=other, id_number=make_id(500_000 + n))
        member.derive_protected()
        batch.append(member)
    Member.objects.bulk_create(batch, batch_size=1000)
    return Organization.objects.get(pk=branch.pk), user


def timed(label, fn, results):
    start = time.perf_counter()
    value = fn()
    results.append((label, time.perf_counter() - start))
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--others", type=int, default=10000, help="unrelated members already stored")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    tmp = tempfile.TemporaryDirectory(prefix="bench-import-")
    settings.MEDIA_ROOT = Path(tmp.name) / "media"
    if connection.vendor == "sqlite":
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(Path(tmp.name) / "bench.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from members import importer
        from members.models import Member

        print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
        branch, user = build_tree(args.others)
        rows = list(roster_rows(args.rows))
        content = workbook_bytes(rows)
        changed = workbook_bytes(roster_rows(args.rows, phone_prefix="137"))
        results = []

        def upload(data):
            roster_import, result = importer.roster_import_create(
                user=user, branch=branch, file=SimpleUploadedFile("roster.xlsx", data)
            )
            assert result.ok, result.errors[:5]
            return roster_import

        first = timed("1. upload + dry run (5,000 new)", lambda: upload(content), results)
        counts = timed("   apply (create)", lambda: importer.apply(user, first).counts, results)
        assert counts["create"] == args.rows, counts
        again = timed("2. re-import: upload + dry run", lambda: upload(content), results)
        counts = timed("   apply (all unchanged)", lambda: importer.apply(user, again).counts, results)
        assert counts["unchanged"] == args.rows, counts
        update = timed("3. every phone changed: upload + dry run", lambda: upload(changed), results)
        counts = timed("   apply (update)", lambda: importer.apply(user, update).counts, results)
        assert counts["update"] == args.rows, counts
        assert Member.objects.filter(branch=branch).count() == args.rows + 1

        print(f"rows: {args.rows}, other members stored: {args.others}, file: {len(content) // 1024} KiB")
        for label, seconds in results:
            print(f"{label:<44} {seconds:6.2f} s")
        pairs = [results[i][1] + results[i + 1][1] for i in range(0, len(results), 2)]
        print(f"{'preview + apply, new / unchanged / update':<44} " + " / ".join(f"{s:.2f} s" for s in pairs))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        tmp.cleanup()


if __name__ == "__main__":
    main()
