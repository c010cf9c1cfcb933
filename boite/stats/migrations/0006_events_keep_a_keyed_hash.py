"""Events recorded before now hold the patron's own pseudonym, the one on the patron
table: each becomes its keyed hash (`boite.stats.events.stats_pseudonym`), as the events
recorded from now on. Values that match no patron (the demo's invented ones) join
nothing and stay."""

from django.db import migrations

CHUNK = 5000


def hash_patron_pseudonyms(apps, schema_editor):
    from boite.stats.events import stats_pseudonym

    Event = apps.get_model("stats", "Event")
    Patron = apps.get_model("patrons", "Patron")
    known = set(Patron.objects.values_list("pseudonym", flat=True).iterator(chunk_size=CHUNK))
    if not known:
        return
    last = 0
    while True:
        rows = list(
            Event.objects.filter(pk__gt=last).exclude(patron="").order_by("pk").only("pk", "patron")[:CHUNK]
        )
        if not rows:
            return
        last = rows[-1].pk
        changed = [row for row in rows if row.patron in known]
        for row in changed:
            row.patron = stats_pseudonym(row.patron)
        Event.objects.bulk_update(changed, ["patron"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("patrons", "0002_encrypt_sip2_password_shorter_timeout"),
        ("stats", "0005_titles_and_holds"),
    ]

    operations = [
        migrations.RunPython(hash_patron_pseudonyms, migrations.RunPython.noop, elidable=False),
    ]
