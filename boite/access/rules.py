"""Who may open a resource: the one rule of the gate, of CAS and of OpenID Connect.

`decide(user, network, resource)` checks, in this order, and stops at the first « no »:

1. the account is a patron of this portal's network (`other_network`, `not_patron`);
2. the patron may use the resources today (`Patron.refusal_reason`: `unconfirmed`,
   `trial_over`, `expired`, `suspended`, `rejected`, `erased`);
3. the resource is in service (`out_of_service`) and open to the network (`not_open`);
4. the network has an active connector for it (`no_connector`, `connector_off`), and a
   connector that requires a validated library card finds one (`card_required`:
   patrons in trial have none yet; `card_refusal` tells them before the click);
5. the age rule of youth resources (`age`, `age_unknown`);
6. the quota of the period is not used up (`quota`). With `quota=False` the decision
   only carries the resource's Quota: the gate then checks and counts it in one atomic
   step (`AccessCounter.take`); CAS and OpenID Connect logins do not count it (the
   click on « Accéder » that precedes them did).

Each « no » has a code (the access log's `reason`) and a sentence for the patron.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

ADULT_AGE = 18


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str = ""
    message: str = ""
    patron: object | None = None
    connector: object | None = None
    quota: object | None = None


@dataclass(frozen=True)
class QuotaStatus:
    quota: object
    used: int
    next_start: date

    @property
    def remaining(self) -> int:
        return max(0, self.quota.limit - self.used)

    def sentence(self) -> str:
        """« Il vous reste 2 films ce mois-ci », or when the next access opens."""
        quota, left = self.quota, self.remaining
        if left == 0:
            return _(
                "You have used your %(limit)s %(unit)s of this period: next access on %(date)s."
            ) % {
                "limit": quota.limit,
                "unit": quota.unit(quota.limit),
                "date": formats.date_format(self.next_start, "j F Y"),
            }
        values = {"count": left, "unit": quota.unit(left)}
        if quota.period == "day":
            return (
                ngettext(
                    "You have %(count)s %(unit)s left today.",
                    "You have %(count)s %(unit)s left today.",
                    left,
                )
                % values
            )
        if quota.period == "week":
            return (
                ngettext(
                    "You have %(count)s %(unit)s left this week.",
                    "You have %(count)s %(unit)s left this week.",
                    left,
                )
                % values
            )
        return (
            ngettext(
                "You have %(count)s %(unit)s left this month.",
                "You have %(count)s %(unit)s left this month.",
                left,
            )
            % values
        )


def quota_status(patron, resource, network, today: date | None = None) -> QuotaStatus | None:
    """The patron's quota of the resource on this network for today's period, if any."""
    from boite.access.models import AccessCounter, Quota, next_period_start, period_start

    quota = Quota.objects.filter(network=network, resource=resource).first()
    if quota is None:
        return None
    today = today or timezone.localdate()
    used = (
        AccessCounter.objects.filter(
            patron=patron, resource=resource, period_start=period_start(quota.period, today)
        )
        .values_list("opened", flat=True)
        .first()
    ) or 0
    return QuotaStatus(quota, used, next_period_start(quota.period, today))


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _patron_code(patron, day: date) -> str:
    state = patron.State
    if patron.state in (state.TRIAL, state.AWAITING):
        return "trial_over"
    if patron.state in (state.ACTIVE, state.EXPIRED):
        return "expired"
    return {
        state.UNCONFIRMED: "unconfirmed",
        state.SUSPENDED: "suspended",
        state.REJECTED: "rejected",
    }.get(patron.state, "erased")


def is_youth(resource) -> bool:
    return resource.audience == "youth" or resource.category == "jeunesse"


def _age_refusal(patron, resource, day: date) -> tuple[str, str] | None:
    """Youth resources (ages `age_min`–`age_max`): a child of those ages, or an adult.

    The portal knows the birth date of the account holder only — no link between a
    parent and their children — so every adult account counts as a family account.
    """
    if not is_youth(resource) or (resource.age_min is None and resource.age_max is None):
        return None
    low, high = resource.age_min or 0, resource.age_max or ADULT_AGE - 1
    if patron.birth_date is None:
        return "age_unknown", _(
            "This resource is for children from %(low)s to %(high)s years and their families: "
            "add your birth date in « My account » (Edit my details) to open it."
        ) % {"low": low, "high": high}
    age = age_on(patron.birth_date, day)
    if age >= ADULT_AGE or low <= age <= high:
        return None
    return "age", _(
        "This resource is for children from %(low)s to %(high)s years and their families: "
        "ask your library %(library)s which resources suit your age."
    ) % {"low": low, "high": high, "library": patron.home_library.name}


def card_refusal(patron, connector) -> str | None:
    """The sentence for a patron without a card number (in trial) when the connector
    requires a validated card, with the way out; None when nothing stands in the way."""
    if connector is None or not connector.requires_card or patron.card_number:
        return None
    return _(
        "This resource asks for a validated library card: validate your registration at "
        "%(library)s to open it."
    ) % {"library": patron.home_library.name}


def decide(
    user,
    network,
    resource,
    *,
    connector=None,
    quota: bool = True,
    day: date | None = None,
) -> Decision:
    """May `user` open `resource` on the portal of `network` today? See the module."""
    from boite.access.models import Connector, Quota
    from boite.patrons.models import Patron

    day = day or timezone.localdate()
    patron = Patron.of(user, network)
    if patron is None:
        other = None
        if user is not None and user.is_authenticated:
            other = Patron.objects.filter(user=user).select_related("network").first()
        if other is not None:
            return Decision(
                False,
                "other_network",
                _(
                    "Your account belongs to the portal « %(network)s »: open the resource "
                    "from that portal, or register at a library of this network."
                )
                % {"network": other.network.name},
            )
        return Decision(
            False,
            "not_patron",
            _(
                "This account is not a patron account of this portal: register at a library "
                "of the network to use the resources."
            ),
        )
    reason = patron.refusal_reason(day)
    if reason:
        return Decision(False, _patron_code(patron, day), reason, patron)
    library = patron.home_library.name
    if resource is not None:
        if not resource.in_service:
            return Decision(
                False,
                "out_of_service",
                _(
                    "This resource is out of service for now: try again later, or ask your "
                    "library %(library)s."
                )
                % {"library": library},
                patron,
            )
        if not resource.networks.filter(pk=network.pk).exists():
            return Decision(
                False,
                "not_open",
                _(
                    "This resource is not part of your network's offer: ask your library "
                    "%(library)s."
                )
                % {"library": library},
                patron,
            )
        if connector is None:
            connector = Connector.objects.filter(network=network, resource=resource).first()
    if connector is None or not connector.is_active or connector.network_id != network.pk:
        code = "no_connector" if connector is None else "connector_off"
        return Decision(
            False,
            code,
            _(
                "Access to this resource is not open yet: try again later, or ask your library "
                "%(library)s."
            )
            % {"library": library},
            patron,
            connector,
        )
    card = card_refusal(patron, connector)
    if card:
        return Decision(False, "card_required", card, patron, connector)
    if resource is not None:
        refusal = _age_refusal(patron, resource, day)
        if refusal:
            return Decision(False, refusal[0], refusal[1], patron, connector)
        if quota:
            status = quota_status(patron, resource, network, day)
            if status is not None and status.remaining == 0:
                return Decision(False, "quota", status.sentence(), patron, connector, status.quota)
            return Decision(True, patron=patron, connector=connector, quota=status and status.quota)
        found = Quota.objects.filter(network=network, resource=resource).first()
        return Decision(True, patron=patron, connector=connector, quota=found)
    return Decision(True, patron=patron, connector=connector)
