from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from boite.lib.images import reencoded
from boite.lib.uploads import FileKind, check_upload, kind_of
from boite.pro.models import Comment, Document, Event, Post, Profile

# What librarians share: documents, spreadsheets, slides, raster images and plain text.
ACCEPTED_FILES = [
    "pdf", "odt", "ods", "odp", "docx", "xlsx", "pptx", "txt", "csv",
    "png", "jpg", "jpeg", "gif", "webp",
]  # fmt: skip


def check_file(upload) -> FileKind:
    """What the space accepts, up to PRO_MAX_UPLOAD_MB (boite.lib.uploads says why)."""
    return check_upload(upload, extensions=ACCEPTED_FILES, max_bytes=settings.PRO_MAX_UPLOAD_BYTES)


def checked_file(upload):
    """The file to keep: as sent, or for an image (which the space shows inline) the
    image Pillow writes again from its pixels (boite.lib.images)."""
    if not check_file(upload).image:
        return upload
    return reencoded(
        upload,
        max_bytes=settings.PRO_MAX_UPLOAD_BYTES,
        max_pixels=settings.UPLOAD_IMAGE_MAX_PIXELS,
    )


class PostForm(forms.ModelForm):
    publish = forms.BooleanField(
        label=_("Publish now"), required=False, help_text=_("Unticked: kept as a draft.")
    )

    class Meta:
        model = Post
        fields = ["title", "category", "body", "shared"]
        widgets = {"body": forms.Textarea(attrs={"rows": 16})}


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))
    description = forms.CharField(
        label=_("Description"),
        max_length=300,
        required=False,
        help_text=_("For an image: what it shows (its text alternative)."),
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None:
            try:
                cleaned["file"] = kept = checked_file(upload)
            except forms.ValidationError as error:
                self.add_error("file", error)
            else:
                if kind_of(kept.name).image and not cleaned.get("description", "").strip():
                    self.add_error(
                        "description", _("Describe the image for people who cannot see it.")
                    )
        return cleaned


class CommentForm(forms.ModelForm):
    class Meta:
        model = Comment
        fields = ["body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["weekly_digest", "desk_digest"]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class EventForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = [
            "kind",
            "title",
            "theme",
            "programme",
            "place",
            "starts_at",
            "ends_at",
            "capacity",
            "shared",
            "published",
        ]
        widgets = {
            "starts_at": DateTimeInput(),
            "ends_at": DateTimeInput(),
            "programme": forms.Textarea(attrs={"rows": 10}),
        }

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if capacity < 1:
            raise forms.ValidationError(_("An event needs at least one place."))
        return capacity


class MessageForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=150)
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 8}))


class DocumentForm(forms.ModelForm):
    file = forms.FileField(label=_("File"))
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)

    class Meta:
        model = Document
        fields = ["kind", "title", "resource", "offer", "description", "audience", "shared"]

    def __init__(self, *args, network=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A guide presents a resource of the writer's own portal; another id is refused.
        served = self.fields["resource"].queryset.filter(networks=network)
        self.fields["resource"].queryset = served if network is not None else served.none()

    def clean_file(self):
        return checked_file(self.cleaned_data["file"])


class VersionForm(forms.Form):
    file = forms.FileField(label=_("New version"))
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)

    def clean_file(self):
        return checked_file(self.cleaned_data["file"])
