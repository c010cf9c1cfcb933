"""RSS 2.0 and Atom 1.0 feeds of the blog, for the staff of the portal's network.

The feeds answer to the logged-in session only (they are read in the browser, or by
a reader that shares its cookies); they list what the blog lists to that person.
"""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from boite.pro.access import pro_required
from boite.pro.models import Post

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
