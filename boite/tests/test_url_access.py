"""Every page refuses an anonymous visitor unless it is declared public here."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from boite.tests.pages import PUBLIC_PAGES, all_pages, page_names


@pytest.mark.django_db
def test_every_private_page_refuses_anonymous_visitors():
    call_command("load_demo", stdout=io.StringIO())
    anonymous = Client(HTTP_HOST="localhost")
    wrong = []
    for target in all_pages():
        response = anonymous.get(target.path)
        if response.status_code == 405:  # an action: try it the way a form sends it
            response = anonymous.post(target.path)
        if target.name in PUBLIC_PAGES:
            if response.status_code not in (200, 400):  # 400: the « invalid link » pages
                wrong.append(
                    f"{target.name} {target.path}: public page answers {response.status_code}"
                )
        elif response.status_code not in (302, 401, 403) or (
            response.status_code == 302
            and "login" not in response["Location"]
            and "connexion" not in response["Location"]
        ):
            wrong.append(f"{target.name} {target.path}: anonymous got {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_public_pages_still_exist():
    assert PUBLIC_PAGES - page_names() == set(), "a public page listed here has no URL any more"
