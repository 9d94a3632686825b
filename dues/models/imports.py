"""Yearly base imports: an uploaded workbook, its dry-run result, and whether it was applied."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from branches.models import Organization


class BaseImport(models.Model):
    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("待确认")
        INVALID = "invalid", _("有错误")
        APPLIED = "applied", _("已导入")

    branch = models.ForeignKey(
        Organization, verbose_name=_("导入支部"), on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    file = models.FileField(_("文件"), upload_to="dues-imports/%Y/%m/")
    filename = models.CharField(_("文件名"), max_length=200)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PREVIEWED)
    summary = models.JSONField(_("预览结果"), default=dict, blank=True)
    errors = models.JSONField(_("错误"), default=list, blank=True)  # [{row, column, message}]
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    applied_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("党费基数导入")
        verbose_name_plural = _("党费基数导入")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.filename
