"""RGAA 4.1 / WCAG 2.1 AA: axe-core finds no violation on any page, in Chromium."""

import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from boite.tests.pages import all_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def test_every_page_has_no_accessibility_violation(page, live_server):
    call_command("load_demo", stdout=io.StringIO())
    axe = Axe()
    report, audited = [], []
    for target in all_pages():
        response = page.goto(target.path)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        results = axe.run(page, options=WCAG_AA)
        audited.append(target.name)
        if results.violations_count:
            report.append(f"{target.name} {target.path}\n{results.generate_report()}")
    assert {"networks:home", "networks:library_directory", "networks:accessibility"} <= set(audited)
    assert not report, "\n\n".join(report)
