"""A CAS ticket validated by several requests at once is granted to one of them only."""

import threading

import pytest
from django.db import connection

from boite.access.models import ServiceTicket

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_simultaneous_validations_consume_a_ticket_once(patron, cas_connector):
    ticket = ServiceTicket.objects.create(
        connector=cas_connector, user=patron, service="https://provider.example/cas/callback"
    )
    start = threading.Barrier(20)
    winners: list[int] = []
    errors: list[BaseException] = []

    def validate() -> None:
        try:
            start.wait()
            if ServiceTicket.objects.consume(ticket.ticket) is not None:
                winners.append(1)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=validate) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(winners) == 1
