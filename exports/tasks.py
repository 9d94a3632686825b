from celery import shared_task

from .services import export_run


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_export(job_id):
    job = export_run(job_id=job_id)
    return job.pk if job else None
