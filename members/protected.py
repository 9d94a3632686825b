"""Protected personal data: 身份证号 and phone numbers are encrypted at rest (Fernet, with key
rotation through MultiFernet) and found through a keyed hash (HMAC-SHA256), never by plaintext.

Keys come from settings.FIELD_ENCRYPTION_KEYS (newest first) and settings.FIELD_HASH_KEY."""

import datetime
import hashlib
import hmac
import re
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CODES = "10X98765432"
ID_PATTERN = re.compile(r"^\d{17}[\dX]$")
MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")


@cache
def _fernet():
    return MultiFernet([Fernet(key.encode()) for key in settings.FIELD_ENCRYPTION_KEYS])


def encrypt(value):
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token):
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("a protected field could not be decrypted with the configured keys") from exc


def keyed_hash(value):
    return hmac.new(settings.FIELD_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Stores a Fernet token; Python sees the plaintext. Not searchable: use the keyed hash."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value


# --- 身份证号 (GB 11643-1999) ----------------------------------------------------------------------


def normalise_id_number(value):
    return (value or "").strip().upper().replace(" ", "")


def id_check_digit(body):
    """The GB 11643 check character for the first 17 digits."""
    return ID_CHECK_CODES[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def id_number_problems(value, *, birth_date=None, gender=None):
    """Why `value` is not a valid 18-character 身份证号 for this person (empty list if it is)."""
    if not ID_PATTERN.match(value):
        return [_("身份证号应为18位，前17位为数字，末位为数字或X。")]
    if id_check_digit(value[:17]) != value[17]:
        return [_("身份证号校验位不正确，请核对。")]
    problems = []
    try:
        born = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return [_("身份证号中的出生日期无效。")]
    if birth_date and born != birth_date:
        problems.append(
            _("身份证号中的出生日期（%(id)s）与填写的出生日期不一致。") % {"id": born.isoformat()}
        )
    id_gender = "male" if int(value[16]) % 2 else "female"
    if gender and id_gender != gender:
        problems.append(_("身份证号中的性别与填写的性别不一致。"))
    return problems


def birth_date_from_id(value):
    return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def gender_from_id(value):
    return "male" if int(value[16]) % 2 else "female"


def mask_id_number(value):
    return f"{value[:6]}{'*' * 8}{value[14:]}" if value else ""


# --- Mainland mobile numbers -----------------------------------------------------------------------


def normalise_phone(value):
    digits = re.sub(r"[\s-]", "", value or "")
    return digits[3:] if digits.startswith("+86") else digits


def validate_mobile(value):
    if not MOBILE_PATTERN.match(value):
        raise ValidationError(_("请输入11位大陆手机号码，如 13812345678。"), code="phone")


def mask_phone(value):
    return f"{value[:3]}****{value[7:]}" if value else ""


def compose_id_number(area, birth, serial, gender):
    """A valid 身份证号 for demo and scale data: 6-digit area, birth date, a 3-digit serial whose
    parity carries the gender, and the GB 11643 check digit."""
    serial = serial % 500 * 2 + (1 if gender == "male" else 0)
    body = f"{area}{birth:%Y%m%d}{serial:03d}"
    return body + id_check_digit(body)
