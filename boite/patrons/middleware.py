"""« Se déconnecter partout »: a session remembers the patron's session generation when
it logs in; when the patron bumps the generation, every older session is logged out."""

from django.contrib.auth import logout

from boite.patrons.models import Patron

SESSION_KEY = "patron_generation"
_UNREAD = object()


def remember_generation(request, patron: Patron) -> None:
    request.session[SESSION_KEY] = patron.session_generation


class SessionGenerationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and SESSION_KEY in request.session:
            # Read with the user by PatronBackend.get_user; a query for other backends.
            current = getattr(user, "patron_generation", _UNREAD)
            if current is _UNREAD:
                current = (
                    Patron.objects.filter(user_id=user.pk)
                    .values_list("session_generation", flat=True)
                    .first()
                )
            if current is None or current != request.session[SESSION_KEY]:
                logout(request)
        return self.get_response(request)
