"""Descriptions as providers write them: HTML shown formatted (sanitised again at display,
whoever wrote it — a harvest or a librarian in the back office), plain text with its
line breaks."""

from __future__ import annotations

import nh3
from django import template
from django.template.defaultfilters import linebreaks_filter
from django.utils.safestring import SafeString, mark_safe

from boite.catalog.harvest.base import ALLOWED_TAGS, TAG, text_of_html

register = template.Library()


@register.filter
def rich_text(value: str) -> SafeString:
    value = value or ""
    if not TAG.search(value):
        return linebreaks_filter(value, autoescape=True)
    return mark_safe(nh3.clean(value, tags=ALLOWED_TAGS, attributes={}, link_rel=None))  # noqa: S308 — nh3 sanitised it


@register.filter
def plain_text(value: str) -> str:
    """The words of a description without its tags (auto-escaped where it is shown)."""
    return " ".join(text_of_html(value or "").split())
