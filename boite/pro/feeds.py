"""RSS 2.0 and Atom 1.0 feeds of the blog, for the staff of the portal's network.

`/pro/flux.rss` and `/pro/flux.atom` answer to the logged-in session. Feed readers
that cannot log in use the private addresses `/pro/flux/<key>.rss|atom`, whose
random key (page « My e-mails ») stands for the person and can be renewed at any time.
Both list the published posts of the network and the shared ones.
"""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from boite.pro.access import is_member, pro_required
from boite.pro.models import Post, Profile

FEED_LENGTH = 30


class PostFeed(Feed):
    description = _("Posts of the professional space for the network's librarians.")

    def get_object(self, request, *args, **kwargs):
        return request.network

    def title(self, network):
        return _("%(network)s — professional space") % {"network": network.name}

    def link(self, network):
        return reverse("pro:index")

    def items(self, network):
        return (
            Post.objects.for_network(network)
            .filter(published_at__lte=timezone.now())
            .select_related("author")[:FEED_LENGTH]
        )

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.body_html  # sanitised by boite.pro.rendering

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.author.get_full_name() or item.author.username if item.author else None

    def item_categories(self, item):
        return [item.get_category_display()]


class AtomPostFeed(PostFeed):
    feed_type = Atom1Feed
    subtitle = PostFeed.description


rss = pro_required()(PostFeed())
atom = pro_required()(AtomPostFeed())


def _private(feed):
    """The feed for readers that cannot log in: the secret key in the address stands for
    the person, who must still be staff of the portal's network."""

    def view(request, token: str):
        profile = (
            Profile.objects.filter(feed_token=token, user__is_active=True)
            .select_related("user")
            .first()
        )
        if profile is None or not is_member(profile.user, request.network):
            raise Http404
        response = feed(request)
        response["Cache-Control"] = "private, max-age=300"
        response["X-Robots-Tag"] = "noindex"
        return response

    return view


private_rss = _private(PostFeed())
private_atom = _private(AtomPostFeed())
