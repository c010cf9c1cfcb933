"""Documents: versioned uploads, kept forever, read by role."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from boite.pro.models import Document, DocumentVersion
from boite.pro.tests.conftest import PDF


def test_an_editor_adds_a_document_then_a_new_version(
    client, login, editor, librarian_bayeux, calvados
):
    login(client, editor)
    response = client.post(
        reverse("pro:document_new"),
        {"kind": "guide", "title": "Présenter Skilleos", "offer": "Skilleos", "audience": "staff",
         "file": SimpleUploadedFile("skilleos.pdf", PDF), "note": "première version"},
    )  # fmt: skip
    document = Document.objects.get()
    assert response.status_code == 302
    assert document.network == calvados
    client.post(
        reverse("pro:document_version", args=[document.pk]),
        {"file": SimpleUploadedFile("skilleos-2.pdf", PDF + b"%v2"), "note": "tarifs 2027"},
    )
    versions = list(document.versions.all())
    assert [v.number for v in versions] == [2, 1]
    assert document.current.note == "tarifs 2027"
    login(client, librarian_bayeux)
    old = client.get(reverse("pro:document_download", args=[versions[1].pk]))
    assert b"".join(old.streaming_content) == PDF  # the first version is kept
    assert old["Content-Disposition"].startswith("attachment;")
    assert old["X-Content-Type-Options"] == "nosniff"
    listing = client.get(reverse("pro:documents")).content.decode()
    assert "version 2" in listing


def test_a_refused_first_upload_creates_no_document(client, login, editor):
    login(client, editor)
    response = client.post(
        reverse("pro:document_new"),
        {"kind": "committee", "title": "COPIL", "audience": "admins",
         "file": SimpleUploadedFile("copil.pdf", b"<svg onload=alert(1)>")},
    )  # fmt: skip
    assert response.status_code == 400
    assert not Document.objects.exists()
    assert not DocumentVersion.objects.exists()


def test_a_shared_document_reaches_the_other_network_by_role(
    caen_client, login, librarian_caen, admin_caen, document
):
    document.shared = True
    document.audience = Document.Audience.ADMINS
    document.save()
    login(caen_client, librarian_caen)
    assert caen_client.get(reverse("pro:document", args=[document.pk])).status_code == 404
    login(caen_client, admin_caen)
    assert caen_client.get(reverse("pro:document", args=[document.pk])).status_code == 200
    # …but only its own network's writers add versions.
    response = caen_client.post(
        reverse("pro:document_version", args=[document.pk]),
        {"file": SimpleUploadedFile("x.pdf", PDF)},
    )
    assert response.status_code == 404
    assert document.versions.count() == 1
