"""RGAA 4.1 / WCAG 2.1 AA: axe-core finds no violation on any page, in Chromium."""

import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from boite.networks.models import User
from boite.patrons.models import Patron
from boite.tests.pages import PUBLIC_PAGES, all_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
_REFUSED = {301, 302, 401, 403}


def test_every_page_has_no_accessibility_violation(page, live_server, browser_login):
    call_command("load_demo", stdout=io.StringIO())
    axe = Axe()
    pages = all_pages()
    patron = Patron.objects.filter(
        network__slug="boite-numerique", state=Patron.State.ACTIVE, user__isnull=False
    ).first()
    # Public pages as an anonymous visitor; the others as the consortium's administrator
    # (every staff page), then what is left as a patron (the patron space).
    rounds = [(None, [p for p in pages if p.name in PUBLIC_PAGES])]
    rounds += [(User.objects.get(username="admin"), None), (patron.user, None)]
    report, audited = [], []
    waiting = [p for p in pages if p.name not in PUBLIC_PAGES]
    for user, targets in rounds:
        page.context.clear_cookies()
        if user is not None:
            browser_login(user)
        refused = []
        for target in targets if targets is not None else waiting:
            response = page.request.get(target.path, max_redirects=0)
            if response.status in _REFUSED:
                refused.append(target)
                continue
            html = "text/html" in response.headers.get("content-type", "")
            if response.status not in (200, 400) or not html:
                continue  # actions (POST only), downloads, feeds
            page.goto(target.path)
            results = axe.run(page, options=WCAG_AA)
            audited.append(target.name)
            if results.violations_count:
                report.append(f"{target.name} {target.path}\n{results.generate_report()}")
        if targets is None:
            waiting = refused
    assert {"networks:home", "networks:accessibility", "patrons:account"} <= set(audited)
    assert not waiting, f"no persona could open: {[p.name for p in waiting]}"
    assert not report, "\n\n".join(report)
