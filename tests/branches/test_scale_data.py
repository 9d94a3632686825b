import io

import pytest
from django.core.management import CommandError, call_command

from branches.models import Organization


def _tree(code):
    root = Organization.objects.get(code=code, depth=1)
    return list(
        Organization.objects.filter(path__startswith=root.path)
        .order_by("path")
        .values_list("path", "name", "kind", "numchild")
    )


def test_tier_s_builds_a_consistent_tree_of_about_250_organisations(scale_tier_s, db):
    rows = _tree("SCALE-S")
    assert 200 <= len(rows) <= 300
    # treebeard's own consistency check: paths, depths and numchild all agree.
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    kinds = {kind for _, _, kind, _ in rows}
    assert kinds == {"committee", "general_branch", "branch", "party_group"}
    # Every party group sits directly under a branch.
    by_path = {path: kind for path, _, kind, _ in rows}
    assert all(by_path[p[:-4]] == "branch" for p, _, k, _ in rows if k == "party_group")


def test_same_seed_gives_the_same_data_and_a_second_run_is_refused(scale_tier_s, db):
    sink = io.StringIO()
    first = [(name, kind) for _, name, kind, _ in _tree("SCALE-S")]
    with pytest.raises(CommandError, match="--replace"):
        call_command("generate_scale_data", "--tier", "S", stdout=sink)
    call_command("generate_scale_data", "--tier", "S", "--replace", stdout=sink)
    assert [(name, kind) for _, name, kind, _ in _tree("SCALE-S")] == first
    assert Organization.objects.filter(code="SCALE-S").count() == 1


def test_bulk_load_checks_every_foreign_key_set_based(on_postgres, cast):
    """PostgreSQL: the row triggers are off during the load and a dangling reference is still found."""
    from django.db import connection, transaction

    from branches.management.commands.generate_scale_data import _check_foreign_keys, _skip_row_triggers

    with transaction.atomic():
        assert _skip_row_triggers()
        assert _check_foreign_keys() > 20  # all consistent
        _skip_row_triggers()
        with connection.cursor() as cursor:
            cursor.execute("UPDATE members_member SET branch_id = 99999999 WHERE id = %s", [cast.mem_a.pk])
        with pytest.raises(CommandError, match="members_member.branch_id points at a missing"):
            _check_foreign_keys()
        transaction.set_rollback(True)
