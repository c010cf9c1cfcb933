"""The portal shell of each network: home page, library directory, legal pages."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_safe

from boite.lib.pagecache import anonymous_page_cache
from boite.networks import desk as staff_desk
from boite.networks import icons
from boite.networks.access import staff_required
from boite.networks.models import Library

_LIBRARIES_PER_PAGE = 24


@require_GET
@anonymous_page_cache
def home(request: HttpRequest) -> HttpResponse:
    member_count = request.network.libraries.members().count()
    return render(request, "networks/home.html", {"member_count": member_count})


@require_GET
@anonymous_page_cache
def library_directory(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    libraries = (
        request.network.libraries.exclude(membership=Library.Membership.LEFT)
        .select_related("authority")
        .matching(query)
        .order_by("authority__name", "name")
    )
    page = Paginator(libraries, _LIBRARIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "networks/library_directory.html", {"page": page, "query": query})


@require_GET
@anonymous_page_cache
def library_detail(request: HttpRequest, slug: str) -> HttpResponse:
    library = get_object_or_404(
        request.network.libraries.select_related("authority").exclude(
            membership=Library.Membership.LEFT
        ),
        slug=slug,
    )
    return render(request, "networks/library_detail.html", {"library": library})


_LEGAL_PAGES = {
    "legal": "networks/legal_notice.html",
    "privacy": "networks/privacy.html",
    "accessibility": "networks/accessibility.html",
}


@require_GET
@anonymous_page_cache
def legal_page(request: HttpRequest, page: str) -> HttpResponse:
    if page not in _LEGAL_PAGES:
        raise Http404
    return render(request, _LEGAL_PAGES[page])


@require_GET
def theme_css(request: HttpRequest) -> HttpResponse:
    """The network's colours as CSS variables, served as a file so that no inline style
    is needed (the Content-Security-Policy forbids them)."""
    response = render(request, "networks/theme.css", content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico: monitors and browsers ask every site for it."""
    response = HttpResponse(icons.favicon(request.network), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_safe
def touch_icon(request: HttpRequest) -> HttpResponse:
    """The icon a phone puts on its home screen for the portal."""
    response = HttpResponse(icons.touch_icon(request.network), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@staff_required()
@require_safe
def desk(request: HttpRequest) -> HttpResponse:
    """Where every staff login lands: the work waiting in the person's scope."""
    return render(request, "networks/desk.html", {"tasks": staff_desk.tasks(request)})
