"""The holder's pages through the test client: ownership, logging with its confirm step,
uploads, downloads and query counts."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import REVIEWER
from submissions.enums import EntryState
from submissions.models import Entry, ProofFile
from submissions.services import attach_proof
from tests.factories import CertificationFactory, EntryFactory, UserFactory, activity, title
from tests.staff import make_staff, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("june_2025")]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TODAY = date(2025, 6, 1)




@pytest.fixture
def entry(owner):
    return EntryFactory(holder=owner, activity_date=date(2025, 3, 1))


@pytest.fixture
def proof(entry):
    return attach_proof(entry=entry, upload=SimpleUploadedFile("cert.pdf", PDF), by=entry.holder)


def webinar_post(**overrides: object) -> dict[str, object]:
    data = {
        "activity_type": activity("attend-webinar").pk, "activity_date": "2025-05-20",
        "title": "Ransomware response", "provider": "SECO-Institute",
        "length_minutes": "90", "attended_minutes": "90", "relevance_confirmed": "on",
    }
    return data | overrides


def holder_urls(entry, proof, certification) -> list[str]:
    return [
        reverse("submissions:entry_detail", args=[entry.pk]),
        reverse("submissions:entry_edit", args=[entry.pk]),
        reverse("submissions:proof_download", args=[proof.pk]),
        reverse("submissions:year_list", args=[certification.pk]),
        reverse("submissions:year_detail", args=[certification.pk, 2]),
        reverse("submissions:transcript_csv", args=[certification.pk, 2]),
        reverse("submissions:transcript_pdf", args=[certification.pk, 2]),
    ]


def test_holder_urls_owner_sees_them(client, practitioner, entry, proof):
    for url in holder_urls(entry, proof, practitioner):
        assert client.get(url).status_code == 200, url


def test_holder_urls_another_holder_gets_404(client, practitioner, entry, proof):
    other = UserFactory()
    CertificationFactory(holder=other)
    client.force_login(other)
    for url in holder_urls(entry, proof, practitioner):
        assert client.get(url).status_code == 404, url
    for name in ("entry_withdraw", "proof_upload"):
        assert client.post(reverse(f"submissions:{name}", args=[entry.pk])).status_code == 404
    entry.refresh_from_db()
    assert entry.state == EntryState.SUBMITTED


def test_holder_urls_staff_can_read(client, practitioner, entry, proof):
    sign_in(client, make_staff(REVIEWER))
    urls = holder_urls(entry, proof, practitioner)
    urls.remove(reverse("submissions:entry_edit", args=[entry.pk]))
    for url in urls:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("staff", ["without two-factor", "without a role"])
def test_holder_urls_staff_without_two_factor_or_a_role_get_404(client, practitioner, entry,
                                                                 proof, staff):
    # Holders' records are the admin's to show: only to staff as the admin would.
    if staff == "without two-factor":
        client.force_login(make_staff(REVIEWER, totp=False))
    else:
        sign_in(client, make_staff())
    for url in holder_urls(entry, proof, practitioner):
        assert client.get(url).status_code == 404, url


def test_holder_urls_anonymous_is_sent_to_sign_in(client, practitioner, entry, proof):
    client.logout()
    for url in holder_urls(entry, proof, practitioner):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_log_without_javascript_shows_the_preview_then_saves(client, owner):
    url = reverse("submissions:entry_create")
    response = client.post(url, webinar_post())
    assert response.status_code == 200
    assert response.templates[0].name == "submissions/entry_confirm.html"
    assert '<strong class="preview-credits">1.50</strong>' in response.content.decode()
    assert Entry.objects.count() == 0

    response = client.post(url, webinar_post(confirmed="on"))
    entry = Entry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("submissions:entry_detail", args=[entry.pk])
    assert (entry.claimed_credits, entry.holder, entry.length_minutes) == (
        Decimal("1.50"), owner, 90)


def test_preview_fragment_says_what_it_earns_and_where(client, owner):
    response = client.post(reverse("submissions:entry_preview"), webinar_post())
    html = response.content.decode()
    assert '<strong class="preview-credits">1.50</strong>' in html
    assert "Information Security Practitioner" in html
    assert Entry.objects.count() == 0


def test_preview_fragment_names_the_cap(client, owner):
    for day in range(1, 11):
        EntryFactory(holder=owner, activity_type=activity("attend-webinar"),
                     activity_date=date(2025, 4, day), hours=None, length_minutes=60,
                     attended_minutes=60)
    html = client.post(reverse("submissions:entry_preview"), webinar_post()).content.decode()
    assert "annual cap of 10 credits" in html


def test_log_refuses_75_percent_webinar_as_a_form_error(client, owner):
    response = client.post(reverse("submissions:entry_create"),
                           webinar_post(length_minutes="60", attended_minutes="45",
                                        confirmed="on"))
    assert response.status_code == 200
    assert "75 %" in response.context["form"].errors["attended_minutes"][0]
    assert Entry.objects.count() == 0


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"activity_date": "2025-06-02"}, "activity_date", "future"),
    ({"activity_date": "2024-06-01"}, "activity_date", "closed"),
    ({"activity_date": "not a date"}, "activity_date", "valid date"),
    ({"length_minutes": "-5"}, "length_minutes", "greater than or equal to 1"),
    ({"activity_type": "999999"}, "activity_type", "valid choice"),
    ({"title": ""}, "title", "required"),
    ({"relevance_confirmed": ""}, "relevance_confirmed", "relevant"),
])
def test_log_refuses_nonsense_with_a_clear_error(client, owner, fields, field, words):
    response = client.post(reverse("submissions:entry_create"),
                           webinar_post(confirmed="on", **fields))
    assert response.status_code == 200
    assert words in " ".join(response.context["form"].errors[field])
    assert Entry.objects.count() == 0


@pytest.mark.parametrize(("name", "content", "words"), [
    ("invoice.pdf", b"<html><body>not a pdf</body></html>", "PDF, PNG or JPEG"),
    ("huge.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024 - 4), "at most"),
    ("empty.pdf", b"", "empty"),
])
def test_log_with_a_wrong_proof_keeps_the_entry_in_the_form(client, owner, name, content, words):
    response = client.post(reverse("submissions:entry_create"), webinar_post(
        confirmed="on", proof=SimpleUploadedFile(name, content)))
    assert response.status_code == 200
    assert words in " ".join(response.context["form"].errors["proof"])
    assert response.context["form"]["title"].value() == "Ransomware response"
    assert (Entry.objects.count(), ProofFile.objects.count()) == (0, 0)


def test_log_with_pdf_and_png_proof(client, owner):
    response = client.post(reverse("submissions:entry_create"), webinar_post(
        confirmed="on", proof=[SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.png", PNG)]))
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert sorted(entry.proof_files.values_list("content_type", flat=True)) == [
        "application/pdf", "image/png"]


def test_proof_download_is_an_attachment(client, owner, proof):
    response = client.get(reverse("submissions:proof_download", args=[proof.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="cert.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_proof_upload_refuses_html_disguised_as_pdf(client, owner, entry):
    response = client.post(reverse("submissions:proof_upload", args=[entry.pk]),
                           {"proof": SimpleUploadedFile("x.pdf", b"<html></html>")}, follow=True)
    assert "PDF, PNG or JPEG" in response.content.decode()
    assert ProofFile.objects.count() == 0


def test_withdraw_and_edit(client, owner, entry):
    response = client.post(reverse("submissions:entry_edit", args=[entry.pk]), {
        "activity_type": activity("other-course").pk, "activity_date": "2025-03-01",
        "title": "Renamed course", "hours": "2.5", "relevance_confirmed": "on",
        "confirmed": "on"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.title, entry.claimed_credits) == ("Renamed course", Decimal("2.50"))
    client.post(reverse("submissions:entry_withdraw", args=[entry.pk]), {"reason": "Logged twice"})
    entry.refresh_from_db()
    assert entry.state == EntryState.WITHDRAWN
    assert client.get(reverse("submissions:entry_edit", args=[entry.pk])).status_code == 302


def test_entry_list_filters(client, owner, practitioner):
    EntryFactory(holder=owner, title="In 2025", activity_date=date(2025, 3, 1))
    EntryFactory(holder=owner, title="In 2024", activity_date=date(2024, 3, 1))
    EntryFactory(holder=owner, title="Rejected", activity_date=date(2025, 3, 2),
                 state=EntryState.REJECTED)
    url = reverse("submissions:entry_list")
    titles = lambda response: [e.title for e in response.context["page"].object_list]  # noqa: E731
    assert titles(client.get(url, {"year": f"{practitioner.pk}-2"})) == ["Rejected", "In 2025"]
    assert titles(client.get(url, {"state": "rejected"})) == ["Rejected"]
    assert titles(client.get(url, {"year": "bogus", "state": "nonsense"})) == [
        "Rejected", "In 2025", "In 2024"]


def _holder_with_three_certifications(entries: int):
    holder = UserFactory()
    for code, awarded in (("ISP", date(2024, 1, 1)), ("ISE", date(2024, 7, 1)),
                          ("DPP", date(2023, 9, 1))):
        CertificationFactory(holder=holder, title=title(code), awarded_on=awarded)
    codes = ["attend-webinar", "other-course", "read-books", "mentor"]
    for i in range(entries):
        EntryFactory(holder=holder, activity_type=activity(codes[i % 4]),
                     activity_date=date(2025, 1, 1) + timedelta(days=i % 150))
    return holder


@pytest.mark.parametrize("url_name", ["home", "submissions:entry_list"])
def test_page_queries_do_not_grow_with_entries(client, url_name):
    counts = []
    for size in (1, 50):
        client.force_login(_holder_with_three_certifications(size))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(url_name)).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1] > 5


def test_dashboard_one_webinar_counts_toward_both_cards(client):
    holder = UserFactory()
    CertificationFactory(holder=holder, title=title("ISP"), awarded_on=date(2024, 1, 1))
    CertificationFactory(holder=holder, title=title("ISE"), awarded_on=date(2024, 7, 1))
    EntryFactory(holder=holder, activity_type=activity("attend-webinar"),
                 activity_date=date(2024, 12, 1), hours=None, length_minutes=360,
                 attended_minutes=360, claimed_credits=Decimal("6"))
    EntryFactory(holder=holder, activity_type=activity("attend-webinar"),
                 activity_date=date(2025, 3, 1), hours=None, length_minutes=120,
                 attended_minutes=120, claimed_credits=Decimal("2"))
    client.force_login(holder)
    html = client.get(reverse("home")).content.decode()
    assert "Attend a webinar (SECO webinars included): used 2.00 of 10.00 credits" in html
    assert "Attend a webinar (SECO webinars included): used 8.00 of 10.00 credits" in html


def test_foundation_only_holder_sees_no_cpe_required_and_cannot_log(client):
    holder = UserFactory()
    CertificationFactory(holder=holder, title=title("ISF"))
    client.force_login(holder)
    html = client.get(reverse("home")).content.decode()
    assert "No CPE required." in html
    assert reverse("submissions:entry_create") not in html
    response = client.post(reverse("submissions:entry_create"), webinar_post(confirmed="on"))
    assert "require no CPE" in " ".join(response.context["form"].non_field_errors())
    assert Entry.objects.count() == 0


def test_dashboard_empty_state_for_a_new_holder(client):
    client.force_login(UserFactory())
    html = client.get(reverse("home")).content.decode()
    assert "No certifications yet" in html


def test_badge_shows_only_what_it_should(client, practitioner):
    practitioner.holder.full_name = "Hanna de Vries"
    practitioner.holder.save()
    response = client.get(reverse("certifications:badge", args=[practitioner.badge_id]))
    html = response.content.decode()
    for expected in ("Hanna de Vries", "Information Security Practitioner", "Practitioner",
                     "1 January 2024", "Active", "valid through 31 December 2025"):
        assert expected in html
    assert practitioner.holder.email not in html


def test_badge_revoked_shows_the_date(client, practitioner):
    practitioner.status = "decertified"
    practitioner.decertified_on = date(2025, 2, 15)
    practitioner.save()
    url = reverse("certifications:badge", args=[practitioner.badge_id])
    html = client.get(url).content.decode()
    assert "Revoked" in html
    assert "15 February 2025" in html


def test_badge_unknown_id_is_404(client):
    assert client.get("/verify/00000000-0000-4000-8000-000000000000/").status_code == 404
    assert client.get("/verify/not-a-uuid/").status_code == 404


def test_withdraw_page_asks_for_a_reason_first(client, owner, entry):
    response = client.get(reverse("submissions:entry_withdraw", args=[entry.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert response.templates[0].name == "submissions/entry_withdraw.html"
    assert f"Withdraw “{entry.title}”" in html
    assert "it no longer counts toward any certification year" in html
    assert '<textarea name="reason"' in html
    entry.refresh_from_db()
    assert entry.state == EntryState.SUBMITTED


def test_withdraw_with_a_reason_withdraws_and_keeps_the_reason(client, owner, entry):
    response = client.post(reverse("submissions:entry_withdraw", args=[entry.pk]),
                           {"reason": "  Logged twice  "})

    assert response.status_code == 302
    assert response["Location"] == reverse("submissions:entry_detail", args=[entry.pk])
    entry.refresh_from_db()
    change = entry.state_changes.order_by("changed_at", "pk").last()
    assert (entry.state, change.to_state, change.reason, change.changed_by) == (
        EntryState.WITHDRAWN, EntryState.WITHDRAWN, "Logged twice", owner)


@pytest.mark.parametrize(("reason", "words"), [
    ("", "Say why you withdraw"),
    ("   ", "Say why you withdraw"),
    ("x" * 1001, "at most 1000 characters"),
    ("Logged\x00twice", "cannot be saved"),
])
def test_withdraw_without_a_valid_reason_is_a_form_error(client, owner, entry, reason, words):
    response = client.post(reverse("submissions:entry_withdraw", args=[entry.pk]),
                           {"reason": reason})

    assert response.status_code == 200
    assert words in " ".join(response.context["form"].errors["reason"])
    assert words in response.content.decode()
    entry.refresh_from_db()
    assert (entry.state, entry.state_changes.count()) == (EntryState.SUBMITTED, 0)


def test_withdraw_another_holder_gets_404_and_staff_are_sent_back(client, entry):
    url = reverse("submissions:entry_withdraw", args=[entry.pk])
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "Not mine"}).status_code == 404
    sign_in(client, make_staff(REVIEWER))
    for response in (client.get(url), client.post(url, {"reason": "Not mine"})):
        assert response["Location"] == reverse("submissions:entry_detail", args=[entry.pk])
    entry.refresh_from_db()
    assert entry.state == EntryState.SUBMITTED


def test_withdraw_a_decided_entry_is_sent_back_to_the_entry(client, owner):
    entry = EntryFactory(holder=owner, state=EntryState.APPROVED)

    response = client.get(reverse("submissions:entry_withdraw", args=[entry.pk]), follow=True)

    assert response.redirect_chain == [
        (reverse("submissions:entry_detail", args=[entry.pk]), 302)]
    assert "can no longer be withdrawn" in response.content.decode()


def test_entry_page_links_to_the_withdraw_page(client, owner, entry):
    html = client.get(reverse("submissions:entry_detail", args=[entry.pk])).content.decode()

    url = reverse("submissions:entry_withdraw", args=[entry.pk])
    assert f'href="{url}"' in html
    assert f'action="{url}"' not in html


def rule_fields_marked(html: str) -> list[str]:
    return re.findall(r'class="rule-field rule-field-needed" data-field="(\w+)"', html)


def test_log_form_marks_the_inputs_the_chosen_activity_asks_for(client, owner, entry):
    create = reverse("submissions:entry_create")

    blank = client.get(create).content.decode()
    webinar = client.post(create, webinar_post(title="")).content.decode()
    course = client.get(reverse("submissions:entry_edit", args=[entry.pk])).content.decode()

    assert (rule_fields_marked(blank), rule_fields_marked(webinar), rule_fields_marked(course)) \
        == ([], ["length_minutes", "attended_minutes"], ["hours"])
    assert "1 credit per hour of training or self-study." in course
