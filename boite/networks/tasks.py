"""Jobs of the networks app. The e-mail delivery job lives in boite.lib.mail; importing
it here makes the worker (which loads every app's tasks module) know it."""

from boite.lib import mail  # noqa: F401
