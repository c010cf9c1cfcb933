"""The e-mails the worker gave up on, for superusers (the consortium's technical
administrators): read them, send them again once the mail server works, delete them."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from boite.lib import mail
from boite.lib.models import UndeliveredMail
from boite.networks.scoped_admin import ScopedModelAdmin


@admin.register(UndeliveredMail)
class UndeliveredMailAdmin(ScopedModelAdmin):
    # No role opens this page: superusers only (ScopedModelAdmin lets them through).
    scope_library = None
    scope_network = None
    view_roles = change_roles = add_roles = delete_roles = frozenset()
    list_display = ["given_up_at", "subject", "recipients", "attempts", "error"]
    search_fields = ["recipients", "subject"]
    date_hierarchy = "given_up_at"
    fields = ["given_up_at", "recipients", "reply_to", "subject", "body", "attempts", "error"]
    readonly_fields = fields
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # written by the worker only

    @admin.action(description=_("Send the selected e-mails again"), permissions=["change"])
    def send_again(self, request: HttpRequest, queryset) -> None:
        count = 0
        for undelivered in queryset:
            mail.send_again(undelivered)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)s e-mail queued again.", "%(count)s e-mails queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
