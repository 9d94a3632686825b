from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .base import get_exporter
from .models import ExportJob, ExportStatus
from .services import export_request


@login_required
@require_POST
def create(request, code):
    params = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    try:
        job = export_request(user=request.user, exporter=code, params=params)
    except ValidationError as exc:
        raise Http404 from exc
    return redirect("exports:detail", pk=job.pk)


@login_required
def detail(request, pk):
    job = get_object_or_404(ExportJob.objects.visible_to(request.user), pk=pk)
    template = "exports/_status.html" if request.headers.get("HX-Request") else "exports/detail.html"
    return render(request, template, {"job": job, "exporter": get_exporter(job.exporter)})


@login_required
def download(request, pk):
    job = get_object_or_404(ExportJob.objects.visible_to(request.user), pk=pk, status=ExportStatus.DONE)
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1])


@login_required
def index(request):
    jobs = ExportJob.objects.visible_to(request.user)[:50]
    return render(request, "exports/index.html", {"jobs": jobs})
