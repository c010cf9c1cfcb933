"""Pages of the professional space (/pro/) and the news of the portal (/actualites/)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from boite.lib.mail import send_mail_later
from boite.lib.uploads import private_file_response
from boite.networks.models import Library, StaffRole
from boite.pro import events as event_rules
from boite.pro.access import can_write, pro_required, readable_audiences
from boite.pro.forms import (
    AttachmentForm,
    CommentForm,
    DocumentForm,
    EventForm,
    MessageForm,
    PostForm,
    ProfileForm,
    VersionForm,
)
from boite.pro.models import (
    Attachment,
    Document,
    DocumentVersion,
    Event,
    NewsItem,
    OfferContact,
    Post,
    Profile,
    Registration,
    Selection,
    SelectionItem,
)

POSTS_PER_PAGE = 10
NEWS_PER_PAGE = 12
LIBRARIES_PER_PAGE = 30


# -- blog ----------------------------------------------------------------------------
def _visible_posts(request: HttpRequest):
    posts = Post.objects.for_network(request.network)
    if can_write(request.user, request.network):
        # Writers also see their network's drafts and scheduled posts.
        return posts.filter(
            Q(published_at__lte=timezone.now()) | Q(network=request.network)
        ).select_related("network", "author")
    return posts.filter(published_at__lte=timezone.now()).select_related("network", "author")


@require_GET
@pro_required()
def index(request: HttpRequest) -> HttpResponse:
    posts = _visible_posts(request)
    category = request.GET.get("categorie", "")
    if category in Post.Category.values:
        posts = posts.filter(category=category)
    else:
        category = ""
    posts = posts.annotate(comment_count=Count("comments")).order_by("-published_at", "-pk")
    page = Paginator(posts, POSTS_PER_PAGE).get_page(request.GET.get("page"))
    upcoming = Event.objects.for_network(request.network).filter(
        published=True, ends_at__gte=timezone.now()
    )[:5]
    return render(
        request,
        "pro/index.html",
        {
            "page": page,
            "category": category,
            "post_categories": Post.Category.choices,
            "upcoming": upcoming,
            "can_write": can_write(request.user, request.network),
        },
    )


@require_http_methods(["GET", "POST"])
@pro_required()
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(_visible_posts(request).prefetch_related("attachments"), pk=pk)
    form = CommentForm(request.POST or None)
    if request.method == "POST":
        if not post.is_published:
            raise Http404
        if form.is_valid():
            comment = form.save(commit=False)
            comment.post = post
            comment.author = request.user
            comment.save()
            messages.success(request, _("Your comment is published."))
            return redirect(f"{post.get_absolute_url()}#comments")
    comments = post.comments.select_related("author")
    return render(
        request,
        "pro/post_detail.html",
        {
            "post": post,
            "comments": comments,
            "form": form,
            "can_edit": can_write(request.user, request.network)
            and post.network_id == request.network.pk,
        },
    )


def _own_post(request: HttpRequest, pk: int) -> Post:
    return get_object_or_404(Post.objects.filter(network=request.network), pk=pk)


@require_http_methods(["GET", "POST"])
@pro_required(write=True)
def post_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    post = _own_post(request, pk) if pk else None
    form = PostForm(
        request.POST or None,
        instance=post,
        initial={"publish": bool(post and post.published_at)},
    )
    if request.method == "POST" and form.is_valid():
        post = form.save(commit=False)
        post.network = request.network
        if post.author_id is None:
            post.author = request.user
        if form.cleaned_data["publish"]:
            post.published_at = post.published_at or timezone.now()
        else:
            post.published_at = None
        post.save()
        messages.success(
            request, _("The post is published.") if post.published_at else _("Draft saved.")
        )
        return redirect("pro:post_edit", pk=post.pk)
    return render(
        request,
        "pro/post_form.html",
        {"form": form, "post": post, "attachment_form": AttachmentForm()},
    )


@require_POST
@pro_required(write=True)
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    post = _own_post(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request,
            "pro/post_form.html",
            {"form": PostForm(instance=post), "post": post, "attachment_form": form},
            status=400,
        )
    upload = form.cleaned_data["file"]
    with transaction.atomic():
        Attachment.objects.create(
            post=post,
            file=upload,
            original_name=upload.name[-200:],
            description=form.cleaned_data["description"],
            size=upload.size,
        )
    messages.success(request, _("The file is attached."))
    return redirect("pro:post_edit", pk=post.pk)


@require_GET
@pro_required()
def attachment_file(request: HttpRequest, pk: int) -> HttpResponse:
    visible = _visible_posts(request)
    attachment = get_object_or_404(Attachment.objects.filter(post__in=visible), pk=pk)
    return private_file_response(
        attachment.file,
        attachment.original_name,
        inline_image=request.GET.get("voir") == "1",
    )


@require_http_methods(["GET", "POST"])
@pro_required()
def profile(request: HttpRequest) -> HttpResponse:
    profile, _created = Profile.objects.get_or_create(user=request.user)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and "new_feed_key" in request.POST:
        profile.new_feed_token()
        messages.success(
            request, _("Your private feed addresses are new: the old ones no longer work.")
        )
        return redirect("pro:profile")
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your choices are saved."))
        return redirect("pro:profile")
    feeds = {}
    if profile.feed_token:
        feeds = {
            "rss": request.build_absolute_uri(
                reverse("pro:private_feed_rss", args=[profile.feed_token])
            ),
            "atom": request.build_absolute_uri(
                reverse("pro:private_feed_atom", args=[profile.feed_token])
            ),
        }
    return render(request, "pro/profile.html", {"form": form, "feeds": feeds})


# -- events --------------------------------------------------------------------------
def _visible_events(request: HttpRequest):
    events = Event.objects.for_network(request.network)
    if can_write(request.user, request.network):
        return events.filter(Q(published=True) | Q(network=request.network))
    return events.filter(published=True)


@require_GET
@pro_required()
def event_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    events = _visible_events(request).annotate(
        registered=Count("registrations", filter=Q(registrations__status="registered"))
    )
    return render(
        request,
        "pro/event_list.html",
        {
            "upcoming": events.filter(ends_at__gte=now),
            "past": events.filter(ends_at__lt=now).order_by("-starts_at")[:20],
            "can_write": can_write(request.user, request.network),
        },
    )


@require_GET
@pro_required()
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(_visible_events(request), pk=pk)
    mine = event.registrations.filter(user=request.user).first()
    registrations = event.registrations.exclude(status=Registration.Status.CANCELLED)
    can_manage = can_write(request.user, request.network) and event.network_id == (
        request.network.pk
    )
    return render(
        request,
        "pro/event_detail.html",
        {
            "event": event,
            "mine": mine,
            "registered_count": registrations.filter(status=Registration.Status.REGISTERED).count(),
            "waiting_count": registrations.filter(status=Registration.Status.WAITING).count(),
            "attendees": registrations.select_related("user") if can_manage else None,
            "can_manage": can_manage,
            "message_form": MessageForm() if can_manage else None,
            "is_past": event.ends_at < timezone.now(),
        },
    )


@require_POST
@pro_required()
def event_register(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(_visible_events(request).filter(published=True), pk=pk)
    if event.ends_at < timezone.now():
        messages.error(request, _("This event is over: registration is closed."))
        return redirect(event)
    registration = event_rules.register(event, request.user)
    if registration.status == Registration.Status.REGISTERED:
        messages.success(request, _("You are registered. A confirmation is on its way."))
    else:
        messages.info(
            request,
            _(
                "The event is full: you are on the waiting list "
                "and will be told if a place frees up."
            ),
        )
    return redirect(event)


@require_POST
@pro_required()
def event_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(_visible_events(request), pk=pk)
    if event_rules.cancel(event, request.user):
        messages.success(request, _("Your registration is cancelled."))
    return redirect(event)


@require_GET
@pro_required()
def event_ics(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(_visible_events(request), pk=pk)
    response = HttpResponse(
        event_rules.calendar_file(event, request.get_host().split(":")[0]),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="evenement-{event.pk}.ics"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
@pro_required(write=True)
def event_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    event = get_object_or_404(Event.objects.filter(network=request.network), pk=pk) if pk else None
    form = EventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        event = form.save(commit=False)
        event.network = request.network
        event.save()
        event_rules.fill_places(event)
        messages.success(request, _("The event is saved."))
        return redirect(event)
    return render(request, "pro/event_form.html", {"form": form, "event": event})


@require_POST
@pro_required(write=True)
def event_message(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(Event.objects.filter(network=request.network), pk=pk)
    form = MessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a subject and a message."))
        return redirect(event)
    emails = sorted(
        {
            email
            for email in event.registrations.filter(
                status=Registration.Status.REGISTERED
            ).values_list("user__email", flat=True)
            if email
        }
    )
    for email in emails:
        send_mail_later(
            email,
            "pro/mail/message",
            {"event": event, **form.cleaned_data},
            reply_to=request.user.email or None,
        )
    messages.success(
        request,
        _("The message is on its way to %(count)d registered people.") % {"count": len(emails)},
    )
    return redirect(event)


# -- documents -----------------------------------------------------------------------
def _visible_documents(request: HttpRequest):
    return (
        Document.objects.for_network(request.network)
        .filter(audience__in=readable_audiences(request.user, request.network))
        .select_related("resource")
    )


@require_GET
@pro_required()
def document_list(request: HttpRequest) -> HttpResponse:
    documents = _visible_documents(request).prefetch_related(
        Prefetch("versions", queryset=DocumentVersion.objects.order_by("-number"))
    )
    kind = request.GET.get("type", "")
    if kind in Document.Kind.values:
        documents = documents.filter(kind=kind)
    else:
        kind = ""
    return render(
        request,
        "pro/document_list.html",
        {
            "documents": documents,
            "kind": kind,
            "kinds": Document.Kind.choices,
            "can_write": can_write(request.user, request.network),
        },
    )


@require_GET
@pro_required()
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(_visible_documents(request), pk=pk)
    can_manage = can_write(request.user, request.network) and (
        document.network_id == request.network.pk
    )
    return render(
        request,
        "pro/document_detail.html",
        {
            "document": document,
            "versions": document.versions.select_related("uploaded_by"),
            "version_form": VersionForm() if can_manage else None,
        },
    )


def _add_version(document: Document, upload, note: str, user) -> DocumentVersion:
    with transaction.atomic():
        Document.objects.select_for_update().filter(pk=document.pk).first()
        last = document.versions.order_by("-number").values_list("number", flat=True).first()
        return DocumentVersion.objects.create(
            document=document,
            number=(last or 0) + 1,
            file=upload,
            original_name=upload.name[-200:],
            size=upload.size,
            note=note,
            uploaded_by=user,
        )


@require_http_methods(["GET", "POST"])
@pro_required(write=True)
def document_new(request: HttpRequest) -> HttpResponse:
    form = DocumentForm(request.POST or None, request.FILES or None, network=request.network)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            document = form.save(commit=False)
            document.network = request.network
            document.save()
            _add_version(
                document, form.cleaned_data["file"], form.cleaned_data["note"], request.user
            )
        messages.success(request, _("The document is online."))
        return redirect(document)
    return render(
        request, "pro/document_form.html", {"form": form}, status=400 if form.errors else 200
    )


@require_POST
@pro_required(write=True)
def document_version(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(Document.objects.filter(network=request.network), pk=pk)
    form = VersionForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request,
            "pro/document_detail.html",
            {
                "document": document,
                "versions": document.versions.select_related("uploaded_by"),
                "version_form": form,
            },
            status=400,
        )
    version = _add_version(
        document, form.cleaned_data["file"], form.cleaned_data["note"], request.user
    )
    messages.success(request, _("Version %(number)d is online.") % {"number": version.number})
    return redirect(document)


@require_GET
@pro_required()
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(
        DocumentVersion.objects.filter(document__in=_visible_documents(request)), pk=pk
    )
    return private_file_response(version.file, version.original_name)


# -- directory -----------------------------------------------------------------------
@require_GET
@pro_required()
def directory(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    roles = StaffRole.objects.filter(user__is_active=True).select_related("user")
    libraries = (
        request.network.libraries.exclude(membership=Library.Membership.LEFT)
        .matching(query)
        .select_related("authority")
        .prefetch_related(Prefetch("staff_roles", queryset=roles.order_by("user__last_name")))
        .order_by("name", "pk")
    )
    page = Paginator(libraries, LIBRARIES_PER_PAGE).get_page(request.GET.get("page"))
    network_staff = roles.filter(network=request.network, library__isnull=True).order_by(
        "kind", "user__last_name"
    )
    contacts = OfferContact.objects.filter(network=request.network).select_related(
        "library", "resource"
    )
    return render(
        request,
        "pro/directory.html",
        {"page": page, "query": query, "network_staff": network_staff, "contacts": contacts},
    )


# -- news for patrons (public) -------------------------------------------------------
@require_GET
def news_list(request: HttpRequest) -> HttpResponse:
    news = NewsItem.objects.published(request.network)
    kind = request.GET.get("type", "")
    if kind in NewsItem.Kind.values:
        news = news.filter(kind=kind)
    else:
        kind = ""
    page = Paginator(news, NEWS_PER_PAGE).get_page(request.GET.get("page"))
    selections = Selection.objects.published(request.network)[:6]
    return render(
        request,
        "pro/news_list.html",
        {"page": page, "kind": kind, "kinds": NewsItem.Kind.choices, "selections": selections},
    )


@require_GET
def news_detail(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(NewsItem.objects.published(request.network), slug=slug)
    return render(request, "pro/news_detail.html", {"item": item})


@require_GET
def selection_detail(request: HttpRequest, slug: str) -> HttpResponse:
    selection = get_object_or_404(
        Selection.objects.published(request.network).prefetch_related(
            Prefetch("items", SelectionItem.objects.select_related("record__resource"))
        ),
        slug=slug,
    )
    return render(request, "pro/selection_detail.html", {"selection": selection})
