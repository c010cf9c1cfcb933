"""The eight categories of the portal, as the field names them."""

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    CINEMA = "cinema", _("Cinema")
    TRAINING = "formation", _("Training")
    MUSIC = "musique", _("Music")
    PRESS = "presse", _("Press")
    BOOK = "livre", _("Books")
    AUDIOBOOK = "livre-audio", _("Audiobooks")
    VIDEO_GAME = "jeu-video", _("Video games")
    YOUTH = "jeunesse", _("Youth")


@dataclass(frozen=True)
class CategoryInfo:
    slug: str
    label: Promise
    blurb: Promise


CATEGORIES: tuple[CategoryInfo, ...] = (
    CategoryInfo(Category.CINEMA, Category.CINEMA.label, _("Films, series and documentaries")),
    CategoryInfo(Category.TRAINING, Category.TRAINING.label, _("Languages, office, coding, life")),
    CategoryInfo(Category.MUSIC, Category.MUSIC.label, _("Concerts, music lessons")),
    CategoryInfo(Category.PRESS, Category.PRESS.label, _("Newspapers and magazines")),
    CategoryInfo(Category.BOOK, Category.BOOK.label, _("E-books to borrow")),
    CategoryInfo(Category.AUDIOBOOK, Category.AUDIOBOOK.label, _("Audiobooks to borrow")),
    CategoryInfo(Category.VIDEO_GAME, Category.VIDEO_GAME.label, _("Games for every age")),
    CategoryInfo(Category.YOUTH, Category.YOUTH.label, _("For children from 3 to 12")),
)
CATEGORY_BY_SLUG = {c.slug: c for c in CATEGORIES}
