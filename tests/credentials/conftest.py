from datetime import date

import pytest
import time_machine

from certifications.services import ensure_certification_years
from tests.credentials.verifying import SITE
from tests.factories import CertificationFactory, UserFactory, title

# Year 2 of a certification awarded on 1 March 2024 runs to 28 February 2026; its reporting
# deadline is 30 March 2026. Year 1's deadline (30 March 2025) has passed.
TODAY = date(2025, 4, 1)


@pytest.fixture
def today():
    """The portal's clock on TODAY, at noon in Amsterdam."""
    with time_machine.travel(f"{TODAY.isoformat()} 12:00 +02:00", tick=False):
        yield TODAY


@pytest.fixture
def certification(db, today):
    certification = CertificationFactory(holder=UserFactory(full_name="Cora Calendar"),
                                         title=title("ISP"), awarded_on=date(2024, 3, 1))
    ensure_certification_years(today=today, certifications=[certification])
    return certification


@pytest.fixture
def holder(certification):
    return certification.holder


@pytest.fixture
def badge_site(settings):
    """The portal the badge tests issue from: its address (its did:web) and the certification
    body's name."""
    settings.CPE_SITE_URL = SITE
    settings.CPE_ISSUER_NAME = "SECO-Institute"


@pytest.fixture
def expert():
    return CertificationFactory(holder=UserFactory(full_name="Bea Badge"), title=title("ISE"),
                                awarded_on=date(2024, 9, 1))
