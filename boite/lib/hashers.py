"""Password hashing: argon2id at the OWASP cheat sheet's recommended cost.

Django's own argon2 defaults (100 MiB, 8 lanes) take about half a second per login
on a 2-core application server and let a burst of logins starve the portal. The
OWASP Password Storage Cheat Sheet recommends argon2id with at least 19 MiB of memory,
2 iterations and 1 lane; we keep those. Hashes made with other parameters still
verify and are upgraded at the next login (Django's `must_update`).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class BoiteArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
