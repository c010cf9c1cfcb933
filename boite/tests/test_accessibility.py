"""RGAA 4.1 / WCAG 2.1 AA: axe-core finds no violation on any page, in Chromium."""

import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from boite.networks.models import User
from boite.tests.pages import PUBLIC_PAGES, all_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def test_every_page_has_no_accessibility_violation(page, live_server, browser_login):
    call_command("load_demo", stdout=io.StringIO())
    axe = Axe()
    report, audited = [], []
    pages = all_pages()
    # Public pages as an anonymous visitor, then the others as the consortium's
    # administrator, who may open every staff page.
    ordered = [p for p in pages if p.name in PUBLIC_PAGES] + [
        p for p in pages if p.name not in PUBLIC_PAGES
    ]
    logged_in = False
    for target in ordered:
        if target.name not in PUBLIC_PAGES and not logged_in:
            browser_login(User.objects.get(username="admin"))
            logged_in = True
        response = page.request.get(target.path)
        if response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue  # actions (POST only), downloads, feeds
        page.goto(target.path)
        results = axe.run(page, options=WCAG_AA)
        audited.append(target.name)
        if results.violations_count:
            report.append(f"{target.name} {target.path}\n{results.generate_report()}")
    assert {"networks:home", "networks:library_directory", "networks:accessibility"} <= set(audited)
    assert not report, "\n\n".join(report)
