from datetime import date
from decimal import Decimal

import pytest
import time_machine

from submissions.services import EntryDetails, log_entry
from tests.factories import activity


@pytest.fixture
def log(holder):
    """Log an entry for the holder with sensible defaults; keyword arguments override them."""

    def _log(code: str = "other-course", *, today: date = date(2025, 6, 1), **fields: object):
        defaults: dict[str, object] = {
            "holder": holder,
            "activity_type": activity(code),
            "activity_date": date(2025, 3, 1),
            "title": "Threat modelling workshop",
            "relevance_confirmed": True,
            "today": today,
        }
        if code == "other-course":
            defaults["hours"] = Decimal("1")
        data = defaults | fields
        return log_entry(holder=data.pop("holder"), today=data.pop("today"),
                         form_token=data.pop("form_token", None),
                         details=EntryDetails.from_data(data))

    return _log


@pytest.fixture
def june_2025():
    """The clock stopped on 1 June 2025, 10:00 in Amsterdam, for pages that read today."""
    with time_machine.travel("2025-06-01 10:00 +02:00", tick=False):
        yield


@pytest.fixture
def owner(client, practitioner):
    """The practitioner's holder, signed in."""
    client.force_login(practitioner.holder)
    return practitioner.holder
