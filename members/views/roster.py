from django.http import Http404


def roster(request, **kwargs):
    raise Http404


def create(request, **kwargs):
    raise Http404


def mine(request, **kwargs):
    raise Http404


def detail(request, **kwargs):
    raise Http404


def edit(request, **kwargs):
    raise Http404


def reveal(request, **kwargs):
    raise Http404
