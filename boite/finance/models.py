"""Consortium finance and governance: memberships and their yearly campaign, partnership
agreements with their amendments and cost-sharing keys, contracts and their split,
working groups and the steering committee.

Money is Decimal everywhere; the rounding rules live in `boite.finance.money`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from boite.finance import money
from boite.lib import uploads
from boite.networks.models import Authority, AuthorityPopulation, Library, Network

DEFAULT_RATE = Decimal("0.15")
DOCUMENT_EXTENSIONS = ["pdf", "odt", "docx", "doc", "jpg", "jpeg", "png"]
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


private_storage = uploads.PrivateStorage("FINANCE_DOCUMENTS_ROOT")
check_document = uploads.UploadCheck(DOCUMENT_EXTENSIONS, DOCUMENT_MAX_BYTES)


# Names migration 0001 refers to (keep them until the migrations are squashed); the
# storage and the checks are those of boite.lib.uploads.
def PrivateStorage() -> uploads.PrivateStorage:
    return uploads.PrivateStorage("FINANCE_DOCUMENTS_ROOT")


validate_document_size = validate_document_content = check_document


def _document_field(verbose_name, upload_to: str, **kwargs) -> models.FileField:
    return models.FileField(
        verbose_name,
        upload_to=upload_to,
        storage=private_storage,
        validators=[check_document],
        help_text=_("PDF, ODT, Word or a scan (JPEG, PNG), 10 MB at most."),
        **kwargs,
    )


# -- Memberships ---------------------------------------------------------------------


class CampaignError(Exception):
    """A campaign that cannot be generated; the message says why, nothing was written."""


class Campaign(models.Model):
    """The yearly membership campaign of one network: its reference population year and
    its rate per inhabitant."""

    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.PROTECT, related_name="campaigns"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    reference_year = models.PositiveSmallIntegerField(
        _("population reference year"),
        help_text=_("The year of the legal populations used for every fee of this campaign."),
    )
    rate = models.DecimalField(
        _("rate per inhabitant (€)"),
        max_digits=6,
        decimal_places=4,
        default=DEFAULT_RATE,
        validators=[MinValueValidator(Decimal("0"))],
    )
    due_date = models.DateField(_("payment due date"), null=True, blank=True)
    generated_at = models.DateTimeField(_("calls generated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership campaign")
        verbose_name_plural = _("membership campaigns")
        ordering = ["-year", "network__name"]
        constraints = [
            models.UniqueConstraint(fields=["network", "year"], name="one_campaign_a_year"),
            models.CheckConstraint(condition=Q(rate__gte=0), name="campaign_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.network} {self.year}"

    def member_authorities(self) -> dict[Authority, list[Library]]:
        """The authorities of the network's libraries that have not left, with those
        libraries (the libraries a membership covers)."""
        found: dict[Authority, list[Library]] = {}
        libraries = (
            self.network.libraries.exclude(membership=Library.Membership.LEFT)
            .select_related("authority")
            .order_by("authority__name", "name")
        )
        for library in libraries:
            found.setdefault(library.authority, []).append(library)
        return found

    def generate(self) -> int:
        """Create (or refresh) the call of every member authority. All or nothing: a
        population missing for the reference year refuses the whole campaign."""
        members = self.member_authorities()
        populations = dict(
            AuthorityPopulation.objects.filter(
                year=self.reference_year, authority__in=list(members)
            ).values_list("authority_id", "population")
        )
        missing = sorted(a.name for a in members if a.pk not in populations)
        if missing:
            raise CampaignError(
                _(
                    "No legal population for %(year)s is known for: %(names)s. Add it (back "
                    "office, local authorities) or choose another reference year; no call "
                    "was generated."
                )
                % {"year": self.reference_year, "names": ", ".join(missing)}
            )
        today = timezone.localdate()
        existing = {m.authority_id: m for m in self.memberships.all()}
        new, refreshed, covered = [], [], {}
        for authority, libraries in members.items():
            membership = existing.get(authority.pk)
            if membership is None:
                membership = Membership(campaign=self, authority=authority, invited_on=today)
                new.append(membership)
            elif membership.state == Membership.State.INVITED:
                refreshed.append(membership)
            else:
                continue  # joined, invoiced, paid or left: an issued call is never recomputed
            membership.population = populations[authority.pk]
            membership.rate = self.rate
            membership.fee = money.fee(membership.population, self.rate)
            membership.contact_email = membership.contact_email or next(
                (lib.email for lib in libraries if lib.email), ""
            )
            covered[authority.pk] = libraries
        # In bulk: a department has hundreds of communes.
        with transaction.atomic():
            Membership.objects.bulk_create(new)
            Membership.objects.bulk_update(
                refreshed, ["population", "rate", "fee", "contact_email"]
            )
            through = Membership.libraries.through
            touched = [m.pk for m in new + refreshed]
            through.objects.filter(membership_id__in=touched).delete()
            through.objects.bulk_create(
                through(membership_id=m.pk, library_id=lib.pk)
                for m in new + refreshed
                for lib in covered[m.authority_id]
            )
            self.generated_at = timezone.now()
            self.save(update_fields=["generated_at"])
        return len(touched)

    def calls(self) -> models.QuerySet[Membership]:
        """The calls as the campaign's page and exports show them, in three queries
        whatever their number: the authority joined, and only the names of the libraries
        covered, prefetched into the list `covered` (no queryset built per call)."""
        return self.memberships.select_related("authority").prefetch_related(
            models.Prefetch("libraries", Library.objects.only("name"), to_attr="covered")
        )

    def total(self) -> Decimal:
        return self.memberships.exclude(state=Membership.State.LEFT).aggregate(
            total=models.Sum("fee")
        )["total"] or Decimal("0.00")

    def what_if(self, rate: Decimal) -> Decimal:
        """The campaign's total if every fee were computed at another rate (each fee
        rounded to the cent first, as the real calls are)."""
        return sum(
            (
                money.fee(population, rate)
                for population in self.memberships.exclude(state=Membership.State.LEFT).values_list(
                    "population", flat=True
                )
            ),
            Decimal("0.00"),
        )


class Membership(models.Model):
    """The call of one authority in one campaign: its inputs are kept (population, rate)
    so that the fee stays traceable when populations or rates change later."""

    class State(models.TextChoices):
        INVITED = "invited", _("invited")
        JOINED = "joined", _("joined")
        INVOICED = "invoiced", _("invoiced")
        PAID = "paid", _("paid")
        LEFT = "left", _("left")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="memberships"
    )
    authority = models.ForeignKey(
        Authority,
        verbose_name=_("local authority"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    population = models.PositiveIntegerField(_("legal population"))
    rate = models.DecimalField(_("rate per inhabitant (€)"), max_digits=6, decimal_places=4)
    fee = models.DecimalField(_("fee (€)"), max_digits=12, decimal_places=2)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.INVITED
    )
    libraries = models.ManyToManyField(
        Library, verbose_name=_("libraries covered"), blank=True, related_name="memberships"
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    invited_on = models.DateField(_("invited on"), null=True, blank=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    invoiced_on = models.DateField(_("invoiced on"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    reminded_on = models.DateField(_("last reminder on"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["authority__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "authority"], name="one_call_a_campaign"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="membership_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.authority} — {self.campaign.year}"

    DATE_OF_STATE = {
        State.INVITED: "invited_on",
        State.JOINED: "joined_on",
        State.INVOICED: "invoiced_on",
        State.PAID: "paid_on",
        State.LEFT: "left_on",
    }

    def move_to(self, state: str, on: date | None = None) -> None:
        """Change the state and record the day it happened."""
        if state not in self.State.values:
            raise ValidationError(_("Unknown state."))
        self.state = state
        setattr(self, self.DATE_OF_STATE[state], on or timezone.localdate())
        self.save()

    @property
    def awaits_payment(self) -> bool:
        return self.state in (self.State.INVITED, self.State.JOINED, self.State.INVOICED)


# -- Partnership agreements ----------------------------------------------------------


class Agreement(models.Model):
    """A partnership agreement between authorities (the department and the urban
    community) for the shared acquisition of online resources."""

    title = models.CharField(_("title"), max_length=200)
    purpose = models.TextField(_("object"))
    parties = models.ManyToManyField(
        Authority, verbose_name=_("parties"), related_name="agreements"
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    document = _document_field(_("signed agreement"), "agreements/", blank=True)

    class Meta:
        verbose_name = _("partnership agreement")
        verbose_name_plural = _("partnership agreements")
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="agreement_ends")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.start:%Y}–{self.end:%Y})"

    @staticmethod
    def check_period(parties, start: date, end: date, exclude_pk: int | None = None) -> None:
        """Refuse a period that is reversed or overlaps another agreement of one of the
        same parties: the key in force on a day must be unique."""
        if end < start:
            raise ValidationError({"end": _("The agreement cannot end before it starts.")})
        clash = (
            Agreement.objects.filter(parties__in=list(parties), start__lte=end, end__gte=start)
            .exclude(pk=exclude_pk)
            .distinct()
            .first()
        )
        if clash:
            raise ValidationError(
                _(
                    "This period overlaps the agreement « %(title)s » (%(start)s – %(end)s) "
                    "of the same parties."
                )
                % {"title": clash.title, "start": clash.start, "end": clash.end}
            )

    @classmethod
    def create(
        cls,
        *,
        title: str,
        purpose: str,
        parties: list[Authority],
        start: date,
        end: date,
        shares: dict[Authority, Decimal] | None = None,
        document=None,
    ) -> Agreement:
        """Create an agreement and its first key (equal shares by default: 50/50)."""
        if len(parties) < 2:
            raise ValidationError(_("An agreement has at least two parties."))
        cls.check_period(parties, start, end)
        if shares is None:
            shares = default_shares(parties)
        with transaction.atomic():
            agreement = cls.objects.create(
                title=title, purpose=purpose, start=start, end=end, document=document or ""
            )
            agreement.parties.set(parties)
            SharingKey.create(agreement, start, shares)
        return agreement

    def key_on(self, day: date) -> SharingKey | None:
        if not self.start <= day <= self.end:
            return None
        return self.keys.filter(valid_from__lte=day).order_by("-valid_from").first()

    def key_periods(self, start: date, end: date) -> list[tuple[date, date, SharingKey]]:
        """The keys in force between two days, each with the days it covers. Raises when
        a day of the period has no key."""
        periods: list[tuple[date, date, SharingKey]] = []
        # Sorted here rather than by the database, so that a prefetch of the keys is used.
        keys = sorted(self.keys.all(), key=lambda k: k.valid_from)
        day = start
        while day <= end:
            current = [k for k in keys if k.valid_from <= day]
            if not current or not self.start <= day <= self.end:
                raise ValidationError(
                    _("No cost-sharing key of « %(agreement)s » is in force on %(day)s.")
                    % {"agreement": self.title, "day": day}
                )
            key = current[-1]
            following = [k.valid_from for k in keys if k.valid_from > day]
            last = min([end, self.end] + [f - timedelta(days=1) for f in following])
            periods.append((day, last, key))
            day = last + timedelta(days=1)
        return periods


def default_shares(parties) -> dict[Authority, Decimal]:
    parties = list(parties)
    if len(parties) != 2:
        raise ValidationError(
            _("Give the share of each party: an equal split is only the default for two.")
        )
    return {parties[0]: Decimal("50"), parties[1]: Decimal("50")}


class Amendment(models.Model):
    """An « avenant »: the yearly amendment of an agreement's financial part."""

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        on_delete=models.CASCADE,
        related_name="amendments",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    financial_terms = models.TextField(_("financial terms"))
    budget = models.DecimalField(
        _("budget of the year (€)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    document = _document_field(_("signed amendment"), "amendments/", blank=True)

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["agreement", "year"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "year"], name="one_amendment_a_year"),
        ]

    def __str__(self) -> str:
        return _("Amendment %(year)s to %(agreement)s") % {
            "year": self.year,
            "agreement": self.agreement.title,
        }

    def clean(self) -> None:
        if self.agreement_id and not (
            self.agreement.start.year <= (self.year or 0) <= self.agreement.end.year
        ):
            raise ValidationError({"year": _("The year is outside the agreement's period.")})


class SharingKey(models.Model):
    """The split of shared costs between the parties from a day on. A key is never
    edited: a change is a new key from a later day, so the history stays true."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="keys"
    )
    valid_from = models.DateField(_("in force from"))
    amendment = models.ForeignKey(
        Amendment,
        verbose_name=_("set by the amendment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="keys",
    )

    class Meta:
        verbose_name = _("cost-sharing key")
        verbose_name_plural = _("cost-sharing keys")
        ordering = ["agreement", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "valid_from"], name="one_key_a_day"),
        ]

    def __str__(self) -> str:
        return " / ".join(f"{s.party} {s.percent} %" for s in self.shares.all())

    @classmethod
    def create(
        cls,
        agreement: Agreement,
        valid_from: date,
        shares: dict[Authority, Decimal],
        amendment: Amendment | None = None,
    ) -> SharingKey:
        check_shares(agreement, valid_from, shares)
        with transaction.atomic():
            key = cls.objects.create(
                agreement=agreement, valid_from=valid_from, amendment=amendment
            )
            Share.objects.bulk_create(
                Share(key=key, party=party, percent=Decimal(percent))
                for party, percent in shares.items()
            )
        return key

    def weights(self) -> dict[Authority, Fraction]:
        return {s.party: Fraction(s.percent) for s in self.shares.all()}


def check_shares(agreement: Agreement, valid_from: date, shares: dict) -> None:
    parties = set(agreement.parties.all())
    if not agreement.start <= valid_from <= agreement.end:
        raise ValidationError(
            {"valid_from": _("A key must come into force within the agreement's period.")}
        )
    if agreement.keys.filter(valid_from=valid_from).exists():
        raise ValidationError(
            {"valid_from": _("A key already comes into force on that day; choose another.")}
        )
    if set(shares) != parties:
        raise ValidationError(_("Give one share for each party of the agreement, and only them."))
    if any(Decimal(p) < 0 for p in shares.values()):
        raise ValidationError(_("A share cannot be negative."))
    total = sum((Decimal(p) for p in shares.values()), Decimal("0"))
    if total != Decimal("100"):
        raise ValidationError(
            _("The shares add up to %(total)s %%; they must add up to exactly 100 %%.")
            % {"total": total.normalize()}
        )


class Share(models.Model):
    key = models.ForeignKey(SharingKey, on_delete=models.CASCADE, related_name="shares")
    party = models.ForeignKey(Authority, verbose_name=_("party"), on_delete=models.PROTECT)
    percent = models.DecimalField(
        _("share (%)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        ordering = ["party__name"]
        constraints = [
            models.UniqueConstraint(fields=["key", "party"], name="one_share_a_party"),
            models.CheckConstraint(
                condition=Q(percent__gte=0) & Q(percent__lte=100), name="share_is_a_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party} {self.percent} %"


# -- Contracts -----------------------------------------------------------------------


class Contract(models.Model):
    """What one online resource costs in one year, who ordered it, and under which
    agreement the cost is shared."""

    class Procurement(models.TextChoices):
        OWN = "own", _("own public contract")
        GROUP = "group", _("purchasing group")

    year = models.PositiveSmallIntegerField(_("year"))
    resource = models.ForeignKey(
        "catalog.Resource",
        verbose_name=_("resource"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
        help_text=_(
            "The catalogue's resource, when the offer is one: its usage gives the cost per use."
        ),
    )
    offer = models.CharField(
        _("offer"),
        max_length=200,
        blank=True,
        help_text=_("The offer's name; left empty, the resource's name."),
    )
    supplier = models.CharField(_("supplier"), max_length=200)
    reference = models.CharField(_("contract reference"), max_length=100)
    procurement = models.CharField(
        _("procurement"), max_length=10, choices=Procurement.choices, default=Procurement.OWN
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    yearly_cost = models.DecimalField(
        _("yearly cost incl. tax (€)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    ordering_party = models.ForeignKey(
        Authority,
        verbose_name=_("ordering party"),
        on_delete=models.PROTECT,
        related_name="ordered_contracts",
        help_text=_("The party that orders and pays the supplier."),
    )
    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("shared under the agreement"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["year", "offer"]
        constraints = [
            models.CheckConstraint(
                condition=Q(yearly_cost__gte=0), name="contract_cost_not_negative"
            ),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="contract_ends"),
        ]

    def __str__(self) -> str:
        return f"{self.offer} {self.year}"

    @property
    def usage_key(self) -> str:
        """The key of the offer in the statistics: the resource's short name, or the
        offer's text for offers outside the catalogue."""
        return self.resource.slug if self.resource_id else self.offer

    def clean(self) -> None:
        errors = {}
        if not self.offer and self.resource_id:
            self.offer = self.resource.name
        if not self.offer:
            errors["offer"] = _("Choose a resource of the catalogue or name the offer.")
        if self.yearly_cost is not None and self.yearly_cost < 0:
            errors["yearly_cost"] = _("A cost cannot be negative.")
        if self.start and self.end and self.end < self.start:
            errors["end"] = _("The contract cannot end before it starts.")
        if self.start and self.year and self.start.year != self.year:
            errors["start"] = _("The period must start in the contract's year.")
        if errors:
            raise ValidationError(errors)
        if self.agreement_id and self.ordering_party_id:
            if not self.agreement.parties.filter(pk=self.ordering_party_id).exists():
                raise ValidationError(
                    {"ordering_party": _("The ordering party must be a party of the agreement.")}
                )
            if self.start and self.end:
                self.agreement.key_periods(self.start, self.end)

    def split(self) -> list[SplitPart]:
        """Each party's part of the yearly cost: the cost spread over the contract's days,
        each day shared by the key in force that day; cents by largest remainder."""
        periods = self.agreement.key_periods(self.start, self.end)
        total_days = (self.end - self.start).days + 1
        weights: dict[Authority, Fraction] = {}
        keys_used: dict[Authority, list[tuple[date, date, Decimal]]] = {}
        for first, last, key in periods:
            days = (last - first).days + 1
            for share in key.shares.all():
                weights[share.party] = weights.get(share.party, Fraction(0)) + Fraction(
                    days, total_days
                ) * Fraction(share.percent)
                keys_used.setdefault(share.party, []).append((first, last, share.percent))
        parties = sorted(weights, key=lambda a: a.name)
        if all(weights[p] == 0 for p in parties):
            raise ValidationError(_("The keys in force give no share to anybody."))
        amounts = money.allocate(self.yearly_cost, {p: weights[p] for p in parties})
        return [SplitPart(p, amounts[p], keys_used[p]) for p in parties]


@dataclass(frozen=True)
class SplitPart:
    party: Authority
    amount: Decimal
    keys: list[tuple[date, date, Decimal]]


@dataclass
class Balance:
    party: Authority
    paid: Decimal
    share: Decimal

    @property
    def difference(self) -> Decimal:
        """Positive: the others owe this party; negative: this party owes the others."""
        return self.paid - self.share


def balances(contracts, splits: dict[int, list[SplitPart]] | None = None) -> list[Balance]:
    """Per party: what it paid the suppliers against its share of the costs (`splits`:
    the contracts' parts when already computed, by contract id)."""
    found: dict[int, Balance] = {}
    for contract in contracts:
        payer = contract.ordering_party
        found.setdefault(payer.pk, Balance(payer, Decimal("0.00"), Decimal("0.00")))
        found[payer.pk].paid += contract.yearly_cost
        parts = splits[contract.pk] if splits is not None else contract.split()
        for part in parts:
            found.setdefault(part.party.pk, Balance(part.party, Decimal("0.00"), Decimal("0.00")))
            found[part.party.pk].share += part.amount
    return sorted(found.values(), key=lambda b: b.party.name)


@dataclass(frozen=True)
class Transfer:
    debtor: Authority
    creditor: Authority
    amount: Decimal


def settlements(rows: list[Balance]) -> list[Transfer]:
    """Who pays whom to settle the balances (greedy: largest debtor to largest creditor)."""
    debtors = sorted(
        ([b.party, -b.difference] for b in rows if b.difference < 0), key=lambda d: -d[1]
    )
    creditors = sorted(
        ([b.party, b.difference] for b in rows if b.difference > 0), key=lambda c: -c[1]
    )
    transfers: list[Transfer] = []
    while debtors and creditors:
        amount = min(debtors[0][1], creditors[0][1])
        transfers.append(Transfer(debtors[0][0], creditors[0][0], amount))
        debtors[0][1] -= amount
        creditors[0][1] -= amount
        if debtors[0][1] == 0:
            debtors.pop(0)
        if creditors[0][1] == 0:
            creditors.pop(0)
    return transfers


# -- Governance ----------------------------------------------------------------------


class Committee(models.Model):
    class Kind(models.TextChoices):
        WORKING_GROUP = "working_group", _("working group")
        STEERING = "steering", _("steering committee (COPIL)")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    networks = models.ManyToManyField(
        Network, verbose_name=_("networks"), related_name="committees"
    )
    description = models.TextField(_("remit"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True, related_name="committees"
    )

    class Meta:
        verbose_name = _("committee")
        verbose_name_plural = _("committees")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Meeting(models.Model):
    committee = models.ForeignKey(
        Committee, verbose_name=_("committee"), on_delete=models.CASCADE, related_name="meetings"
    )
    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    agenda = models.TextField(_("agenda"))
    minutes = models.TextField(_("minutes"), blank=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.committee} — {self.date}"


class MeetingDocument(models.Model):
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(_("title"), max_length=200)
    file = _document_field(_("file"), "meetings/")

    class Meta:
        verbose_name = _("meeting document")
        verbose_name_plural = _("meeting documents")

    def __str__(self) -> str:
        return self.title


class Decision(models.Model):
    committee = models.ForeignKey(
        Committee, verbose_name=_("committee"), on_delete=models.CASCADE, related_name="decisions"
    )
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decisions",
    )
    date = models.DateField(_("date"))
    text = models.TextField(_("decision"))

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.date} — {self.text[:60]}"
