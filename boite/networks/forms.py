"""The staff's login form of the back office (`/admin/login/`), with the same lockouts
as the patrons' login (`boite.lib.lockout`)."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import ngettext

from boite.lib import lockout


class StaffLoginForm(AdminAuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username")
        if not username or not self.cleaned_data.get("password"):
            return super().clean()
        until = lockout.locked_until(self.request, lockout.STAFF, username)
        if until is not None:
            words = lockout.retry_words(until)
            raise forms.ValidationError(
                ngettext(
                    "Too many failed attempts from your connection: try again in "
                    "%(minutes)d minute (at %(time)s).",
                    "Too many failed attempts from your connection: try again in "
                    "%(minutes)d minutes (at %(time)s).",
                    words["minutes"],
                )
                % words,
                code="locked",
            )
        try:
            data = super().clean()
        except forms.ValidationError as refused:
            if self.user_cache is None:  # a wrong password, not a refused role
                lockout.record_failure(self.request, lockout.STAFF, username)
            raise refused
        lockout.record_success(self.request, lockout.STAFF, username)
        return data
