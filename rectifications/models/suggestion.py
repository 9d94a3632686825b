"""The suggestion box (意见箱): "有记载、有反馈、有整改" — every suggestion is recorded, answered and,
where it names a problem, turned into a ledger item.

An anonymous suggestion keeps no link to its author anywhere: `author` is empty, the audit entries
about it carry no actor (`audit.context.anonymously`), it stores the day but not the time, and the
author reads the reply with a receipt code whose hash alone is stored."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Organization


class SuggestionKind(models.TextChoices):
    SUGGESTION = "suggestion", _("意见建议")
    COMPLAINT = "complaint", _("投诉")


# Unambiguous characters only (no 0/O, 1/I/L): the author copies the code by hand.
RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RECEIPT_LENGTH = 12


def new_receipt_code():
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def receipt_hash(code):
    normalised = "".join(ch for ch in (code or "").upper() if ch in RECEIPT_ALPHABET)
    return hashlib.sha256(normalised.encode()).hexdigest()


class SuggestionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The recipient's officers and the committees above them; the author of a signed one."""
        from branches.scoping import scope_for

        scope = scope_for(user)
        if scope.is_admin:
            return self.all()
        condition = scope.editable_q("recipient__") if scope.editable_paths else Q(pk__in=[])
        if scope.member_ids:
            condition |= Q(author_id__in=scope.member_ids)
        return self.filter(condition)


class Suggestion(models.Model):
    recipient = models.ForeignKey(
        Organization, verbose_name=_("提交给"), on_delete=models.PROTECT, related_name="suggestions"
    )
    kind = models.CharField(
        _("类型"), max_length=20, choices=SuggestionKind.choices, default=SuggestionKind.SUGGESTION
    )
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    anonymous = models.BooleanField(_("匿名"), default=False)
    author = models.ForeignKey(
        "members.Member",
        verbose_name=_("提出人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suggestions",
    )
    submitted_on = models.DateField(_("提交日期"), default=timezone.localdate)
    receipt_hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        verbose_name = _("意见建议")
        verbose_name_plural = _("意见建议")
        ordering = ["-submitted_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(anonymous=False) | Q(author__isnull=True),
                name="suggestion_anonymous_has_no_author",
            ),
            models.UniqueConstraint(
                fields=["receipt_hash"], condition=~Q(receipt_hash=""), name="suggestion_receipt_unique"
            ),
        ]

    def __str__(self):
        return self.subject


class SuggestionReply(models.Model):
    suggestion = models.ForeignKey(
        Suggestion, verbose_name=_("意见建议"), on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField(_("答复"))
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    replied_at = models.DateTimeField(_("答复时间"), default=timezone.now)

    class Meta:
        verbose_name = _("意见答复")
        verbose_name_plural = _("意见答复")
        ordering = ["replied_at", "pk"]

    def __str__(self):
        return f"{self.suggestion} · {self.replied_at:%Y-%m-%d}"
