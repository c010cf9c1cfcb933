"""Pieces shared by the apps' JSON APIs (boite/<app>/api.py)."""

from ninja import Schema


class ApiError(Schema):
    """What every refusal says: 401 not logged in, 403 not allowed, 404, 429 too many."""

    detail: str
