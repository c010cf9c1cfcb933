from django.core import mail as outbox

from boite.lib.mail import render_mail, send_mail_later


def test_mail_is_rendered_in_the_recipient_language_and_delivered(tmp_path, settings):
    (tmp_path / "hello_subject.txt").write_text("{% load i18n %}{% translate 'Home' %}\n")
    (tmp_path / "hello_body.txt").write_text("Bonjour {{ name }}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    assert render_mail("hello", {"name": "Anne"}, "en") == ("Home", "Bonjour Anne")
    send_mail_later("anne@example.org", "hello", {"name": "Anne"})
    assert len(outbox.outbox) == 1
    assert outbox.outbox[0].subject == "Accueil"
    assert outbox.outbox[0].to == ["anne@example.org"]
