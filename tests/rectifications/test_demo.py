"""The demo's rectification data: a ledger of the demo 机关党委 for 办公室党支部 with items in every
state (one overdue), a suggestion answered and turned into an item; a second run adds nothing."""

import io

from django.core.management import call_command

from rectifications.models import Item, ItemStatus, Ledger, Suggestion


def test_seed_demo_rectifications_is_idempotent(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", force=True, stdout=io.StringIO())
    counts = (Ledger.objects.count(), Item.objects.count(), Suggestion.objects.count())
    call_command("seed_demo", force=True, stdout=io.StringIO())
    assert (Ledger.objects.count(), Item.objects.count(), Suggestion.objects.count()) == counts
    ledger = Ledger.objects.get(title="巡察反馈问题整改台账")
    assert set(ledger.items.values_list("status", flat=True)) == set(ItemStatus.values)
    assert ledger.items.overdue().count() == 1
    assert all(i.units.get().code == "DEMO-B1" for i in ledger.items.all())
    suggestion = Suggestion.objects.get()
    assert suggestion.author.user.username == "member" and suggestion.replies.exists()
    assert Item.objects.get(source_suggestion=suggestion).ledger.source == "suggestion_box"
