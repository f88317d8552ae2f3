"""The project's URLs plus ``/bench/bare/``, which exists only under the benchmark settings."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns

BARE_BODY = b"<!doctype html><title>bare</title><p>A constant response.</p>"


def bare(request):
    return HttpResponse(BARE_BODY)


urlpatterns = [path("bench/bare/", bare), *project_urlpatterns]
