"""Public images (boite.lib.images): raster only, decoded within limits, stored as
Pillow writes them again; media served with headers that keep a file from running."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from boite.catalog.models import Provider, Resource
from boite.lib.images import open_image, reencoded

SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(document.cookie)</script></svg>"
)


def _image(fmt: str = "PNG", size=(40, 20), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


def _logo_field_clean(name: str, content: bytes):
    field = Resource._meta.get_field("logo")
    return field.clean(SimpleUploadedFile(name, content), Resource())


@pytest.mark.parametrize("name", ["logo.svg", "logo.png"])
def test_an_svg_logo_with_a_script_is_refused_whatever_its_name(name):
    with pytest.raises(ValidationError) as refused:
        _logo_field_clean(name, SVG)
    assert refused.value.error_list[0].code == "image_svg"
    assert "SVG" in refused.value.messages[0] and "scripts" in refused.value.messages[0]


def test_an_html_page_named_png_is_refused():
    with pytest.raises(ValidationError) as refused:
        _logo_field_clean("logo.png", b"<html><script>alert(1)</script></html>")
    assert refused.value.error_list[0].code == "image_type"


def test_a_png_with_trailing_garbage_is_stored_re_encoded(db, settings, tmp_path, calvados):
    settings.MEDIA_ROOT = tmp_path
    garbage = b"<html><script>alert(1)</script></html>" + b"PK\x03\x04" * 100
    upload = SimpleUploadedFile("logo.png", _image() + garbage)
    _logo_field_clean("logo.png", _image() + garbage)  # a valid image, so accepted
    provider = Provider.objects.create(name="Cafeyn", slug="cafeyn")
    resource = Resource.objects.create(
        provider=provider, name="Cafeyn", slug="cafeyn", category="presse", logo=upload
    )
    stored = (tmp_path / resource.logo.name).read_bytes()
    assert b"<script>" not in stored and b"PK\x03\x04" not in stored
    assert stored.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(stored)) as kept:
        assert kept.size == (40, 20) and kept.convert("RGB").getpixel((0, 0)) == (200, 30, 30)


def test_the_stored_name_says_the_real_format():
    assert reencoded(SimpleUploadedFile("logo.png", _image("JPEG"))).name == "logo.jpg"
    assert reencoded(SimpleUploadedFile("logo.gif", _image("GIF"))).name == "logo.png"
    webp = reencoded(SimpleUploadedFile("logo.webp", _image("WEBP")))
    assert webp.name == "logo.webp" and webp.read(12)[8:] == b"WEBP"


def test_an_image_with_too_many_pixels_is_refused_before_decoding(settings):
    settings.IMAGE_MAX_PIXELS = 1_000_000
    with pytest.raises(ValidationError) as refused:
        open_image(SimpleUploadedFile("big.png", _image(size=(1200, 1000))))
    assert refused.value.error_list[0].code == "image_pixels"
    assert "1200 × 1000" in refused.value.messages[0]


def test_an_image_too_heavy_is_refused(settings):
    settings.IMAGE_MAX_BYTES = 10
    with pytest.raises(ValidationError) as refused:
        open_image(SimpleUploadedFile("logo.png", _image()))
    assert refused.value.error_list[0].code == "file_size"


def test_a_truncated_image_is_refused():
    with pytest.raises(ValidationError) as refused:
        open_image(SimpleUploadedFile("logo.png", _image()[:60]))
    assert refused.value.error_list[0].code == "image_type"


def test_the_back_office_refuses_an_svg_network_logo(client, login, admin_calvados, calvados):
    login(client, admin_calvados)
    page = client.get(f"/admin/networks/network/{calvados.pk}/change/")
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data["logo"] = SimpleUploadedFile("logo.svg", SVG, content_type="image/svg+xml")
    response = client.post(f"/admin/networks/network/{calvados.pk}/change/", data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "scripts" in errors["logo"][0]
    calvados.refresh_from_db()
    assert not calvados.logo


# -- served media ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content, attached",
    [("logo.png", _image(), False), ("old.svg", SVG, True), ("page.html", b"<p>x</p>", True)],
)
def test_served_media_carry_the_headers(settings, tmp_path, name, content, attached):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / name).write_bytes(content)
    response = Client().get(f"/media/{name}")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert (response.get("Content-Disposition") == "attachment") is attached
