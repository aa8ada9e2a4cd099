from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command

from accounts.models import User
from certifications.models import Certification, CertificationTitle, CertificationYear
from tests.factories import CertificationFactory, UserFactory, title

pytestmark = pytest.mark.django_db

HEADER = "email,full_name,title_code,awarded_on"
GOOD = f"""{HEADER}
Anna.Bakker@Example.com,Anna Bakker,ISP,2023-03-15
anna.bakker@example.com,Anna Bakker,ISE,2024-09-01
joost@example.com,Joost Visser,DPP,2025-05-31
"""


def run_import(path: Path, today: str = "2025-06-01") -> str:
    out = StringIO()
    call_command("import_certified_holders", str(path), "--date", today, stdout=out)
    return out.getvalue().strip()


def stored() -> tuple[int, int, int, int]:
    return (User.objects.count(), Certification.objects.count(),
            CertificationYear.objects.count(), EmailAddress.objects.count())


def problems_of(error: pytest.ExceptionInfo[CommandError]) -> list[str]:
    """The problem lines of a refused import, without the opening sentence."""
    return str(error.value).splitlines()[1:]


def test_import_good_file_creates_holders_certifications_years_and_verified_addresses(csv_file):
    summary = run_import(csv_file(GOOD))

    assert summary == ("Imported 3 rows: 2 holders created, 0 holders updated, "
                       "3 certifications created, 0 certifications updated, 0 unchanged.")
    anna = User.objects.get(email="anna.bakker@example.com")
    assert (anna.full_name, anna.has_usable_password(), anna.is_staff) == (
        "Anna Bakker", False, False)
    assert sorted(
        (c.title.code, c.awarded_on) for c in anna.certifications.select_related("title")
    ) == [("ISE", date(2024, 9, 1)), ("ISP", date(2023, 3, 15))]
    isp = anna.certifications.get(title__code="ISP")
    assert list(isp.years.values_list("number", "starts_on")) == [
        (1, date(2023, 3, 15)), (2, date(2024, 3, 15)), (3, date(2025, 3, 15))]
    assert list(EmailAddress.objects.filter(user=anna).values_list(
        "email", "verified", "primary")) == [("anna.bakker@example.com", True, True)]
    joost = User.objects.get(email="joost@example.com")
    assert joost.certifications.get().years.count() == 1
    assert EmailAddress.objects.filter(user=joost, verified=True, primary=True).count() == 1


def test_import_second_run_changes_nothing(csv_file):
    path = csv_file(GOOD)
    run_import(path)
    before = stored()

    summary = run_import(path)

    assert summary == ("Imported 3 rows: 0 holders created, 0 holders updated, "
                       "0 certifications created, 0 certifications updated, 3 unchanged.")
    assert stored() == before


def test_import_updates_full_name_and_award_date(csv_file):
    holder = UserFactory(email="anna.bakker@example.com", full_name="Anna Bakker-Smit")
    CertificationFactory(holder=holder, title=title("ISP"), awarded_on=date(2022, 1, 10))
    CertificationFactory(holder=holder, title=title("ISE"), awarded_on=date(2024, 9, 1))

    summary = run_import(csv_file(GOOD))

    assert summary == ("Imported 3 rows: 1 holders created, 1 holders updated, "
                       "1 certifications created, 1 certifications updated, 1 unchanged.")
    holder.refresh_from_db()
    assert (holder.full_name, holder.has_usable_password()) == ("Anna Bakker", True)
    isp = holder.certifications.get(title__code="ISP")
    assert isp.awarded_on == date(2023, 3, 15)
    assert list(isp.years.values_list("number", "starts_on")) == [
        (1, date(2023, 3, 15)), (2, date(2024, 3, 15)), (3, date(2025, 3, 15))]
    assert User.objects.filter(email__iexact="anna.bakker@example.com").count() == 1


def test_import_existing_holder_gets_a_verified_primary_address(csv_file):
    holder = UserFactory(email="joost@example.com", full_name="Joost Visser")
    EmailAddress.objects.create(user=holder, email="old@example.com", primary=True)
    EmailAddress.objects.create(user=holder, email="joost@example.com", verified=False)

    run_import(csv_file(f"{HEADER}\njoost@example.com,Joost Visser,DPP,2025-05-31\n"))

    assert sorted(EmailAddress.objects.filter(user=holder).values_list(
        "email", "verified", "primary")) == [
        ("joost@example.com", True, True), ("old@example.com", False, False)]


def test_import_identical_duplicate_row_counts_as_unchanged(csv_file):
    row = "joost@example.com,Joost Visser,DPP,2025-05-31"

    summary = run_import(csv_file(f"{HEADER}\n{row}\n{row}\n"))

    assert summary == ("Imported 2 rows: 1 holders created, 0 holders updated, "
                       "1 certifications created, 0 certifications updated, 1 unchanged.")
    assert Certification.objects.count() == 1


def test_import_file_with_byte_order_mark_and_crlf_is_read(csv_file):
    content = f"{HEADER}\r\njoost@example.com,Joost Visser,DPP,2025-05-31\r\n\r\n"

    run_import(csv_file(content.encode("utf-8-sig")))

    assert list(Certification.objects.values_list("holder__email", "title__code")) == [
        ("joost@example.com", "DPP")]


BAD_FILES = {
    "missing column": (
        "email,full_name,awarded_on\njoost@example.com,Joost Visser,2025-05-31\n",
        ["row 1: missing column 'title_code'"],
    ),
    "extra column": (
        f"{HEADER},phone\njoost@example.com,Joost Visser,DPP,2025-05-31,0612345678\n",
        ["row 1: unexpected column 'phone'"],
    ),
    "repeated column": (
        f"{HEADER},email\njoost@example.com,Joost Visser,DPP,2025-05-31,joost@example.com\n",
        ["row 1: column 'email' appears more than once"],
    ),
    "bad email": (
        f"{HEADER}\n{GOOD.splitlines()[1]}\njoost(at)example.com,Joost Visser,DPP,2025-05-31\n",
        ["row 3: invalid email address 'joost(at)example.com'"],
    ),
    "empty name": (
        f"{HEADER}\n{GOOD.splitlines()[1]}\njoost@example.com,  ,DPP,2025-05-31\n",
        ["row 3: full name is empty"],
    ),
    "unknown title": (
        f"{HEADER}\n{GOOD.splitlines()[1]}\njoost@example.com,Joost Visser,XYZ,2025-05-31\n",
        ["row 3: unknown title code 'XYZ'"],
    ),
    "retired title": (
        f"{HEADER}\n{GOOD.splitlines()[1]}\njoost@example.com,Joost Visser,BCE,2025-05-31\n",
        ["row 3: title code 'BCE' is retired and can no longer be awarded"],
    ),
    "bad date": (
        f"{HEADER}\n{GOOD.splitlines()[1]}\njoost@example.com,Joost Visser,DPP,31-05-2025\n",
        ["row 3: invalid award date '31-05-2025' (use YYYY-MM-DD, a real day)"],
    ),
    "impossible date": (
        f"{HEADER}\n{GOOD.splitlines()[1]}\njoost@example.com,Joost Visser,DPP,2025-02-29\n",
        ["row 3: invalid award date '2025-02-29' (use YYYY-MM-DD, a real day)"],
    ),
    "future date": (
        f"{HEADER}\n{GOOD.splitlines()[1]}\njoost@example.com,Joost Visser,DPP,2025-06-02\n",
        ["row 3: award date 2025-06-02 is in the future"],
    ),
    "duplicate with another date": (
        f"{GOOD}anna.bakker@example.com,Anna Bakker,ISP,2023-03-16\n",
        ["row 5: ISP for anna.bakker@example.com is listed again with a different award "
         "date (2023-03-15 in row 2)"],
    ),
    "same holder with another name": (
        f"{GOOD}ANNA.BAKKER@example.com,Anne Bakker,DPP,2023-03-16\n",
        ["row 5: full name 'Anne Bakker' for anna.bakker@example.com differs from "
         "'Anna Bakker' in row 2"],
    ),
    "short row": (
        f"{HEADER}\n{GOOD.splitlines()[1]}\njoost@example.com,Joost Visser,DPP\n",
        ["row 3: no value for awarded_on"],
    ),
    "long row": (
        f"{HEADER}\n{GOOD.splitlines()[1]}\njoost@example.com,Joost Visser,DPP,2025-05-31,x\n",
        ["row 3: more values than the header has columns"],
    ),
    "blank line inside": (
        f"{HEADER}\n\n{GOOD.splitlines()[1]}\n",
        ["row 2: the row is empty"],
    ),
    "header only": (f"{HEADER}\n", ["there are no rows to import"]),
    "empty file": ("", ["the file is empty: it needs the header line "
                        "email,full_name,title_code,awarded_on and one row per certification."]),
}


@pytest.mark.parametrize(("content", "expected"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_import_bad_file_is_rejected_whole(csv_file, content: str, expected: list[str]):
    CertificationTitle.objects.filter(code="BCE").update(active=False)
    # A holder the good rows would update: the update must not happen either.
    holder = UserFactory(email="anna.bakker@example.com", full_name="Anna Old-Name")
    before = stored()

    with pytest.raises(CommandError) as error:
        run_import(csv_file(content))

    assert problems_of(error) == expected
    assert stored() == before
    holder.refresh_from_db()
    assert holder.full_name == "Anna Old-Name"


def test_import_lists_every_problem_with_its_row(csv_file):
    content = (f"{HEADER}\n"
               "joost@example.com,Joost Visser,DPP,2025-05-31\n"
               "not-an-email,,XYZ,2026-01-01\n"
               "sam@example.com,Sam Okafor,SOC-CA,2024-02-29\n"
               "lisa@example.com,Lisa de Boer,ISP,yesterday\n")

    with pytest.raises(CommandError) as error:
        run_import(csv_file(content))

    assert problems_of(error) == [
        "row 3: invalid email address 'not-an-email'",
        "row 3: full name is empty",
        "row 3: unknown title code 'XYZ'",
        "row 3: award date 2026-01-01 is in the future",
        "row 5: invalid award date 'yesterday' (use YYYY-MM-DD, a real day)",
    ]
    assert stored() == (0, 0, 0, 0)


def test_import_email_verified_by_another_account_is_rejected(csv_file):
    other = UserFactory(email="joost.private@example.com")
    EmailAddress.objects.create(user=other, email="joost@example.com", verified=True)
    before = stored()

    with pytest.raises(CommandError) as error:
        run_import(csv_file(f"{HEADER}\njoost@example.com,Joost Visser,DPP,2025-05-31\n"))

    assert problems_of(error) == [
        "row 2: joost@example.com is a verified address of another account"]
    assert stored() == before


def test_import_non_utf8_file_is_rejected(csv_file, tmp_path: Path):
    content = f"{HEADER}\njoost@example.com,Jo\u00ebl Visser,DPP,2025-05-31\n"

    with pytest.raises(CommandError) as error:
        run_import(csv_file(content.encode("latin-1")))

    byte = content.index("\u00eb")  # Latin-1 spends one byte per character
    assert str(error.value) == (
        f"Nothing was imported from {tmp_path / 'upload.csv'}: it is not UTF-8 text (byte "
        f"{byte} cannot be read). Save it as \"CSV UTF-8\" and run it again.")
    assert stored() == (0, 0, 0, 0)


def test_import_missing_file_is_rejected(tmp_path: Path):
    path = tmp_path / "nowhere.csv"

    with pytest.raises(CommandError) as error:
        run_import(path)

    assert str(error.value) == f"{path}: no such file."
    assert stored() == (0, 0, 0, 0)
