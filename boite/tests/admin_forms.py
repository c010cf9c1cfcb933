"""What an admin change page sends back when its user saves it untouched: the main form
and every inline formset (with its management form), secrets and files left empty.

Tests start from it and change one value, so a POST is the one a browser would send."""

from __future__ import annotations

from django import forms

from boite.lib import crypto


def _form_values(form: forms.BaseForm) -> dict:
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, (crypto.SecretField, forms.FileField)) or value is None:
            continue
        key = form.add_prefix(name)
        if isinstance(field, forms.BooleanField):
            if value:
                data[key] = "on"
        elif isinstance(value, (list, tuple)):
            data[key] = [str(v) for v in value]
        else:
            data[key] = str(value)
    return data


def admin_form_data(response) -> dict:
    data = _form_values(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        data.update(_form_values(formset.management_form))
        for form in formset.initial_forms:
            data.update(_form_values(form))
    return data
