"""The holder's appeal pages: their decisions, filing, and nobody else's."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from appeals.models import Appeal
from certifications.services import ensure_certification_years
from submissions.models import Denial
from submissions.review import reject_entry
from tests.factories import CertificationFactory, EntryFactory, UserFactory, title
from tests.staff import make_staff

pytestmark = pytest.mark.django_db

DENIED_ON = date(2025, 4, 1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def denial():
    certification = CertificationFactory(title=title("ISP"), awarded_on=date(2024, 3, 1))
    ensure_certification_years(today=DENIED_ON, certifications=[certification])
    entry = EntryFactory(holder=certification.holder, activity_date=date(2025, 3, 10),
                         hours=D("6"), claimed_credits=D("6"), title="Cloud course")
    reject_entry(entry=entry, by=make_staff("Reviewer"), reason="Not relevant",
                 today=DENIED_ON)
    return Denial.objects.get(entry=entry)


@pytest.fixture
def on_day():
    travellers = []

    def travel(day: date):
        traveller = time_machine.travel(f"{day.isoformat()} 12:00 +02:00", tick=False)
        traveller.start()
        travellers.append(traveller)

    yield travel
    for traveller in reversed(travellers):
        traveller.stop()


def url(denial) -> str:
    return reverse("appeals:denial_detail", args=[denial.pk])


def test_the_holder_files_an_appeal_from_the_decision_and_then_sees_it(client, denial, on_day):
    on_day(DENIED_ON + timedelta(days=2))
    client.force_login(denial.holder)
    entry_page = client.get(reverse("submissions:entry_detail", args=[denial.entry_id]))
    assert url(denial) in entry_page.content.decode()
    assert "Appeal this decision" in client.get(url(denial)).content.decode()

    response = client.post(url(denial), {
        "rationale": "The course covered cloud security controls.",
        "documents": [SimpleUploadedFile("certificate.pdf", PDF)]})

    assert response.status_code == 302
    appeal = Appeal.objects.get(denial=denial)
    page = client.get(url(denial)).content.decode()
    assert "Your appeal" in page
    assert "The course covered cloud security controls." in page
    assert "Appeal filed — awaiting a meeting date" in page
    assert "File the appeal" not in page
    document = appeal.documents.get()
    download = client.get(reverse("appeals:document_download", args=[document.pk]))
    assert download.status_code == 200
    assert download["Cache-Control"] == "private, no-store"
    listing = client.get(reverse("appeals:denial_list")).content.decode()
    assert "“Cloud course”" in listing


def test_a_refusal_names_the_limit_and_keeps_what_was_typed(client, denial, on_day):
    on_day(DENIED_ON + timedelta(days=2))
    client.force_login(denial.holder)
    text = " ".join(["relevant"] * 1001)

    response = client.post(url(denial), {"rationale": text})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Your rationale has 1001 words; the limit is 1000" in page
    assert text in page
    assert not Appeal.objects.exists()


@pytest.mark.parametrize(("days", "form_shown"), [(90, True), (91, False)])
def test_the_form_is_there_on_day_90_and_gone_on_day_91(client, denial, on_day, days,
                                                        form_shown):
    on_day(DENIED_ON + timedelta(days=days))
    client.force_login(denial.holder)

    page = client.get(url(denial)).content.decode()
    posted = client.post(url(denial), {"rationale": "Late."})

    assert ("File the appeal" in page) is form_shown
    assert ("The time to appeal this decision ended on 30 June 2025." in page) is not form_shown
    assert Appeal.objects.exists() is form_shown
    assert posted.status_code == 302


def test_another_holder_gets_404_on_the_decision_the_appeal_and_its_files(client, denial,
                                                                         on_day):
    on_day(DENIED_ON + timedelta(days=2))
    client.force_login(denial.holder)
    client.post(url(denial), {"rationale": "Relevant.",
                              "rationale_pdf": SimpleUploadedFile("r.pdf", b"x"),
                              "documents": [SimpleUploadedFile("c.pdf", PDF)]})
    client.post(url(denial), {"rationale": "Relevant.",
                              "documents": [SimpleUploadedFile("c.pdf", PDF)]})
    appeal = Appeal.objects.get()
    document = appeal.documents.get()
    client.force_login(UserFactory())

    for address in (url(denial),
                    reverse("appeals:rationale_download", args=[appeal.pk]),
                    reverse("appeals:document_download", args=[document.pk])):
        assert client.get(address).status_code == 404
    assert client.post(url(denial), {"rationale": "Mine now."}).status_code == 404
    assert "Cloud course" not in client.get(reverse("appeals:denial_list")).content.decode()
