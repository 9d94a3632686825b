import datetime
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import log_action

from .base import get_exporter, render_xlsx
from .models import ExportJob, ExportStatus

logger = logging.getLogger(__name__)


def export_request(*, user, exporter, params=None):
    """Queue an export for `user`; the file is built by a worker (inline without Redis)."""
    if get_exporter(exporter) is None:
        raise ValidationError({"exporter": _("未知的导出类型：%(code)s") % {"code": exporter}})
    with transaction.atomic():
        job = ExportJob.objects.create(user=user, exporter=exporter, params=params or {})
        log_action(
            "exports.export.requested", job, actor=user, data={"exporter": exporter, "params": params or {}}
        )
        from .tasks import run_export

        transaction.on_commit(lambda: run_export.delay(job.pk))
    return job


# A job still "running" this long after it was claimed lost its worker; redelivery may take it.
STALE_AFTER = datetime.timedelta(minutes=15)


def export_run(*, job_id):
    """Build the file. The claim is one compare-and-update, so of two deliveries of the same task
    only one builds it; a job whose worker died mid-run is claimed again once it is stale."""
    now = timezone.now()
    claimable = Q(status=ExportStatus.PENDING) | Q(
        status=ExportStatus.RUNNING, started_at__lt=now - STALE_AFTER
    )
    claimed = ExportJob.objects.filter(claimable, pk=job_id).update(
        status=ExportStatus.RUNNING, progress=0, started_at=now
    )
    if not claimed:
        return None
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    exporter = get_exporter(job.exporter)

    def progress(done, total):
        ExportJob.objects.filter(pk=job.pk).update(progress=min(99, int(done * 100 / max(total, 1))))

    try:
        content, rows = render_xlsx(exporter, job.user, job.params, on_progress=progress)
    except Exception as exc:
        logger.exception("export %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    job.file.save(f"{exporter.code}-{stamp}.xlsx", ContentFile(content), save=False)
    job.status = ExportStatus.DONE
    job.progress = 100
    job.rows = rows
    job.finished_at = timezone.now()
    job.save(update_fields=["file", "status", "progress", "rows", "finished_at"])
    return job
