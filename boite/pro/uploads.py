"""Kept for migration 0001, which names `boite.pro.uploads.PrivateStorage` (remove it when
the migrations are squashed). The checks, the storage and the sending of the files of
the professional space are those of `boite.lib.uploads`; what the space accepts is
`boite.pro.forms.ACCEPTED_FILES`."""

from boite.lib import uploads


def PrivateStorage() -> uploads.PrivateStorage:
    return uploads.PrivateStorage("PRO_FILES_ROOT")
