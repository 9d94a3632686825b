from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AuditEntryQuerySet(models.QuerySet):
    def for_object(self, obj, *related):
        """Entries about `obj`, plus about every row of the `related` querysets (an organisation's
        page also shows the history of its committee posts)."""
        condition = models.Q(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=str(obj.pk),
        )
        for qs in related:
            ids = [str(pk) for pk in qs.values_list("pk", flat=True)]
            if ids:
                condition |= models.Q(
                    content_type=ContentType.objects.get_for_model(qs.model, for_concrete_model=False),
                    object_id__in=ids,
                )
        return self.filter(condition).select_related("actor", "content_type")


VERB_LABELS = {
    "created": pgettext_lazy("audit verb", "创建"),
    "updated": pgettext_lazy("audit verb", "修改"),
    "deleted": pgettext_lazy("audit verb", "删除"),
    "moved": pgettext_lazy("audit verb", "移动"),
    "requested": pgettext_lazy("audit verb", "申请"),
    "revealed": pgettext_lazy("audit verb", "查看完整"),
    "recorded": pgettext_lazy("audit verb", "登记"),
    "confirmed": pgettext_lazy("audit verb", "确认"),
    "cancelled": pgettext_lazy("audit verb", "撤销"),
    "extended": pgettext_lazy("audit verb", "延长"),
    "imported": pgettext_lazy("audit verb", "导入"),
    "received": pgettext_lazy("audit verb", "回执"),
    "reported": pgettext_lazy("audit verb", "汇报"),
}


class AuditEntry(models.Model):
    """Append-only: who did what to which object, and which fields changed (before → after).

    Action codes are namespaced `<app>.<model>.<verb>` (e.g. `branches.organization.moved`).
    """

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_repr = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=100, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("对象"), max_length=255)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    data = models.JSONField(_("附加信息"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"], name="audit_object_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_repr or '-'} {self.action} {self.object_repr}"

    @property
    def verb(self):
        return self.action.rsplit(".", 1)[-1]

    @property
    def verb_label(self):
        return VERB_LABELS.get(self.verb, self.verb)

    @property
    def subject_label(self):
        model = self.content_type.model_class()
        return model._meta.verbose_name if model else self.content_type.model

    @property
    def summary(self):
        # Chinese runs the words together ("修改委员职务"); the English catalogue adds the space.
        return _("%(verb)s%(subject)s") % {"verb": self.verb_label, "subject": self.subject_label}

    def change_rows(self):
        """(label, before, after) triples for display: verbose names, choice labels, 是/否."""
        model = self.content_type.model_class()
        labels = (self.data or {}).get("labels", {})
        rows = []
        for name, (before, after) in self.changes.items():
            field = _field(model, name)
            label = field.verbose_name if field is not None else name
            names = labels.get(name, {})
            rows.append((label, _display(field, before, names), _display(field, after, names)))
        return rows


def _field(model, attname):
    if model is None:
        return None
    for field in model._meta.concrete_fields:
        if field.attname == attname or field.name == attname:
            return field
    return None


def _display(field, value, names):
    if value is None or value == "":
        return None
    if str(value) in names:
        return names[str(value)]
    if field is not None and field.is_relation:
        return f"#{value}"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if field is not None and field.choices:
        return dict(field.flatchoices).get(value, value)
    return value
