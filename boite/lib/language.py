"""The interface is French unless the visitor chose English with the switcher.

Django's LocaleMiddleware also follows the browser's Accept-Language header; a French
public service speaks French by default, whatever the browser's settings, so only
the language cookie set by the switcher (`/i18n/setlang/`) can change it.
"""

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.deprecation import MiddlewareMixin

_AVAILABLE = {code for code, _name in settings.LANGUAGES}


def chosen_language(request: HttpRequest) -> str:
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return chosen if chosen in _AVAILABLE else settings.LANGUAGE_CODE


class LanguageMiddleware(MiddlewareMixin):
    def process_request(self, request: HttpRequest) -> None:
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request: HttpRequest, response):
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
