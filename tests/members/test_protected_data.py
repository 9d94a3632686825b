"""身份证号 and phone numbers: validated, encrypted at rest, found by keyed hash, masked in lists,
never in clear in the database or the audit trail."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from audit.models import AuditEntry
from members.models import Member, MemberStatus, StatusChange
from members.protected import (
    birth_date_from_id,
    gender_from_id,
    id_number_problems,
    mask_id_number,
    mask_phone,
    normalise_phone,
    validate_mobile,
)
from members.services.status import member_status_change

VALID_ID = "11010519491231002X"  # the GB 11643 example: born 1949-12-31, female
PHONE = "13812345678"


def test_the_gb_11643_check_digit_and_the_record_must_agree():
    assert id_number_problems(VALID_ID) == []
    assert id_number_problems(VALID_ID, birth_date=datetime.date(1949, 12, 31), gender="female") == []
    assert "校验位" in id_number_problems("110105194912310021")[0]
    assert "18位" in id_number_problems("11010519491231002")[0]
    assert "出生日期" in id_number_problems(VALID_ID, birth_date=datetime.date(1950, 1, 1))[0]
    assert "性别" in id_number_problems(VALID_ID, gender="male")[0]
    assert birth_date_from_id(VALID_ID) == datetime.date(1949, 12, 31)
    assert gender_from_id(VALID_ID) == "female"


def test_masks_and_mobile_validation():
    assert mask_id_number(VALID_ID) == "110105********002X"
    assert mask_phone(PHONE) == "138****5678"
    assert normalise_phone("+86 138-1234-5678") == PHONE
    validate_mobile(PHONE)
    for bad in ("12812345678", "1381234567", "138123456789"):
        with pytest.raises(ValidationError):
            validate_mobile(bad)


@pytest.fixture
def person(cast):
    return Member.objects.create(
        name="张晓明", gender="female", branch=cast.a, id_number="11010519491231002x", phone=PHONE
    )


def test_values_are_normalised_hashed_masked_and_found_by_hash(person):
    person.refresh_from_db()
    assert person.id_number == VALID_ID
    assert person.id_masked == "110105********002X"
    assert person.phone_masked == "138****5678"
    assert person.name_initials == "zxm"
    assert Member.objects.with_id_number(VALID_ID.lower()).get() == person


def test_an_id_number_is_unique_through_its_hash(cast, person):
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(name="重复", gender="female", branch=cast.b, id_number=VALID_ID)


def test_the_database_holds_no_plaintext_id_or_phone(person):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM members_member WHERE id = %s", [person.pk])
        id_cipher, phone_cipher = cursor.fetchone()
    assert VALID_ID not in id_cipher and PHONE not in phone_cipher
    dump = io.StringIO()
    call_command("dumpdata", "members", "audit", stdout=dump)
    text = dump.getvalue()
    # dumpdata goes through the model (and would decrypt); the raw SQL dump below does not.
    assert "110105********002X" in text
    raw = io.StringIO()
    with connection.cursor() as cursor:
        for table in ("members_member", "audit_auditentry"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 — fixed table names
            raw.write(repr(cursor.fetchall()))
    assert VALID_ID not in raw.getvalue()
    assert VALID_ID.lower() not in raw.getvalue()
    assert PHONE not in raw.getvalue()


def test_the_audit_trail_records_only_masked_values(person):
    entry = AuditEntry.objects.for_object(person).get(action="members.member.created")
    assert "id_number" not in entry.changes and "phone" not in entry.changes
    assert entry.changes["id_masked"] == [None, "110105********002X"]
    assert VALID_ID not in str(entry.changes) and PHONE not in str(entry.changes)


def test_a_status_change_is_recorded_with_its_reason(cast, person):
    member_status_change(
        member=person,
        to_status=MemberStatus.LAPSED,
        on=datetime.date(2026, 11, 1),
        reason="自行脱党",
        user=cast.admin,
    )
    person.refresh_from_db()
    assert person.status == MemberStatus.LAPSED
    change = StatusChange.objects.get(member=person)
    assert (change.from_status, change.to_status, change.changed_by) == ("full", "lapsed", cast.admin)
    # The same status again changes nothing.
    member_status_change(
        member=person, to_status=MemberStatus.LAPSED, on=datetime.date(2026, 11, 2), reason="", user=None
    )
    assert StatusChange.objects.filter(member=person).count() == 1
