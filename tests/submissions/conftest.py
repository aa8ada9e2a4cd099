from datetime import date
from decimal import Decimal

import pytest

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
