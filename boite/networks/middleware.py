"""Choose the network (portal) from the request's host name."""

from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.shortcuts import render
from django.utils import translation

from boite.lib.language import chosen_language
from boite.networks.models import Network

# Paths that answer on any host: the load balancer's health check and static files.
_ANY_HOST_PREFIXES = ("/healthz", "/static/", "/media/")


class NetworkMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(_ANY_HOST_PREFIXES):
            request.network = None
            return self.get_response(request)
        host, _port = split_domain_port(request.get_host())
        request.network = Network.for_host(host)
        if request.network is None:
            return _unknown_host(request, host)
        return self.get_response(request)


def _unknown_host(request: HttpRequest, host: str) -> HttpResponse:
    # The language middleware has not run yet: answer in the visitor's chosen language.
    translation.activate(chosen_language(request))
    response = render(request, "networks/unknown_host.html", {"host": host}, status=404)
    translation.deactivate()
    return response
