"""The demo data of the professional space loads, twice, and its files are genuine."""

from io import StringIO

from django.core.management import call_command

from boite.pro.forms import check_file as check_upload
from boite.pro.models import Document, Event, NewsItem, Post


def test_the_demo_loads_twice_without_duplicates(db):
    call_command("load_demo", stdout=StringIO())
    counts = (Post.objects.count(), Event.objects.count(), Document.objects.count())
    call_command("load_demo", stdout=StringIO())
    assert (Post.objects.count(), Event.objects.count(), Document.objects.count()) == counts
    themes = set(Event.objects.filter(kind="professional_day").values_list("theme", flat=True))
    assert themes == {"Nouveaux fournisseurs", "Prêt numérique", "Jeunes et écrans"}
    assert Event.objects.filter(kind="training").exists()
    assert set(NewsItem.objects.values_list("network__slug", flat=True)) == {
        "boite-numerique",
        "caen-la-mer",
    }
    for document in Document.objects.all():
        version = document.current
        with version.file.open("rb") as handle:
            assert check_upload(handle).content_type == "application/pdf"
