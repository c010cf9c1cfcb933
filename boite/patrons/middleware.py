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


# -- « ask for the password again »: CAS renew=true, OpenID Connect prompt=login -----------
FRESH_LOGIN_KEY = "patron_fresh_login"
FRESH_LOGIN_SECONDS = 300


def remember_fresh_login(request, next_url: str) -> None:
    """The patron has just typed their credentials on the login page, to go to
    `next_url`: only that address may count it as a new login."""
    import time

    request.session[FRESH_LOGIN_KEY] = {"at": int(time.time()), "next": next_url}


def take_fresh_login(request) -> bool:
    """True once, for the request the login page sent the patron back to, within five
    minutes: a flow that demands a new login consumes it, so the next one asks again,
    and a login made for another page never counts."""
    import time

    mark = request.session.pop(FRESH_LOGIN_KEY, None)
    if not isinstance(mark, dict) or mark.get("next") != request.get_full_path():
        return False
    moment = mark.get("at")
    return isinstance(moment, int) and 0 <= time.time() - moment <= FRESH_LOGIN_SECONDS
