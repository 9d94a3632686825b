from django.http import Http404


def upcoming(request, **kwargs):
    raise Http404


def step_create(request, **kwargs):
    raise Http404


def assessment_create(request, **kwargs):
    raise Http404


def probation_extend(request, **kwargs):
    raise Http404


def probation_cancel(request, **kwargs):
    raise Http404
