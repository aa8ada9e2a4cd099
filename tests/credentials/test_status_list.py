"""The revocation list: a signed Bitstring Status List whose bits are the certifications' status
itself, so a bit changes in the very transaction that decertifies or reinstates, and the next
fetch shows it; indexes drawn at random, distinct and kept; the list as long as the spec's
minimum and longer when it needs to be; read in the same queries however many are revoked."""

import gzip
from datetime import date

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certifications.services import decertify_certifications, reinstate_certification
from credentials.models import StatusListSlot
from credentials.openbadges import LIST_BLOCK_BITS, bitstring, encoded_list, list_length
from credentials.selectors import status_list_bits
from credentials.services import DRAWN, assign_status_list_index
from tests.credentials.verifying import DID, SITE, b64, status_bit, status_bits, verified
from tests.factories import CertificationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("badge_site")]

LIST = f"{SITE}/credentials/status/1"


def decertify(*certifications) -> None:
    decertify_certifications([c.pk for c in certifications], on=date(2025, 10, 1),
                             reason="Year 1 ended short", now=timezone.now())


def is_set(index: int) -> bool:
    return bool(status_list_bits()[index // 8] & 0x80 >> index % 8)


def test_status_list_is_a_signed_bitstring_status_list_of_the_minimum_length(client):
    response = client.get("/credentials/status/1")

    assert (response.status_code, response["Content-Type"],
            response["Access-Control-Allow-Origin"]) == (200, "application/jwt", "*")
    assert "no-cache" in response["Cache-Control"]
    claims = verified(client, response.content.decode())
    subject = claims["credentialSubject"]
    assert claims["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert claims["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert claims["id"] == claims["jti"] == LIST
    assert claims["issuer"] == claims["iss"] == DID
    assert (subject["id"], subject["type"], subject["statusPurpose"]) == (
        f"{LIST}#list", "BitstringStatusList", "revocation")
    assert gzip.decompress(b64(subject["encodedList"][1:])) == bytes(LIST_BLOCK_BITS // 8)


def test_decertifying_sets_the_bit_and_reinstating_clears_it(client):
    certification = CertificationFactory()
    index = assign_status_list_index(certification=certification)
    assert status_bit(client, index) == 0

    decertify(certification)
    revoked = status_bit(client, index)
    reinstate_certification(certification=certification, reason="Appeal upheld",
                            decided_on=date(2025, 11, 1))

    assert (revoked, status_bit(client, index)) == (1, 0)


def test_the_bit_changes_in_the_transaction_that_decertifies_and_in_no_other():
    certification = CertificationFactory()
    index = assign_status_list_index(certification=certification)

    with pytest.raises(RuntimeError), transaction.atomic():
        decertify(certification)
        assert is_set(index)
        raise RuntimeError("the close failed after this")
    assert not is_set(index)

    decertify(certification)
    assert is_set(index)
    with pytest.raises(RuntimeError), transaction.atomic():
        reinstate_certification(certification=certification, reason="upheld",
                                decided_on=date(2025, 11, 1))
        assert not is_set(index)
        raise RuntimeError("the decision failed after this")
    assert is_set(index)


def test_a_slot_whose_certification_is_gone_reads_revoked():
    StatusListSlot.objects.create(certification=None, index=77)

    assert is_set(77)


def test_status_list_answers_304_until_it_changes(client):
    certification = CertificationFactory()
    index = assign_status_list_index(certification=certification)
    first = client.get("/credentials/status/1")

    unchanged = client.get("/credentials/status/1", headers={"If-None-Match": first["ETag"]})
    among_others = client.get("/credentials/status/1",
                              headers={"If-None-Match": f'"other", {first["ETag"]}'})
    decertify(certification)
    changed = client.get("/credentials/status/1", headers={"If-None-Match": first["ETag"]})

    assert (unchanged.status_code, unchanged.content) == (304, b"")
    assert (unchanged["ETag"], unchanged["Access-Control-Allow-Origin"]) == (first["ETag"], "*")
    assert among_others.status_code == 304
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert status_bit(client, index) == 1


def test_status_list_reads_in_the_same_queries_for_one_and_fifty_revoked(
        client, django_assert_num_queries):
    def revoke(count: int) -> None:
        certifications = [CertificationFactory() for _ in range(count)]
        for certification in certifications:
            assign_status_list_index(certification=certification)
        decertify(*certifications)

    revoke(1)
    with CaptureQueriesContext(connection) as one:
        client.get("/credentials/status/1")
    revoke(49)
    with django_assert_num_queries(len(one.captured_queries)):
        client.get("/credentials/status/1")

    assert len(one.captured_queries) == 2
    assert sum(bin(byte).count("1") for byte in status_bits(client)) == 50


def test_indexes_are_drawn_at_random_distinct_and_kept():
    certifications = [CertificationFactory() for _ in range(40)]

    indexes = [assign_status_list_index(certification=c) for c in certifications]

    assert len(set(indexes)) == 40
    assert all(0 <= index < LIST_BLOCK_BITS for index in indexes)
    # Not handed out in order: forty in a row is a counter, not a draw (by chance less than
    # once in 10^150 tries).
    assert sorted(indexes) != list(range(min(indexes), min(indexes) + 40))
    assert [assign_status_list_index(certification=c) for c in certifications] == indexes
    assert StatusListSlot.objects.count() == 40


def test_indexes_taken_by_others_between_the_draw_and_the_insert_are_drawn_again():
    certification = CertificationFactory()
    others = [CertificationFactory() for _ in range(DRAWN)]
    taken: list[int] = []

    def others_take_every_index_drawn(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith("SELECT") and "statuslistslot" in sql and " IN " in sql and not taken:
            # Other requests give each drawn index to another certification before this one
            # inserts its own.
            taken.extend(params)
            StatusListSlot.objects.bulk_create([
                StatusListSlot(certification=other, index=index)
                for other, index in zip(others, taken, strict=True)])
        return result

    with connection.execute_wrapper(others_take_every_index_drawn):
        index = assign_status_list_index(certification=certification)

    assert len(taken) == DRAWN
    assert index not in taken
    assert StatusListSlot.objects.get(certification=certification).index == index


def test_the_list_grows_by_whole_blocks_for_a_high_index(client):
    certification = CertificationFactory()
    StatusListSlot.objects.create(certification=certification, index=LIST_BLOCK_BITS + 5)
    decertify(certification)

    bits = status_bits(client)

    assert len(bits) * 8 == 2 * LIST_BLOCK_BITS
    assert status_bit(client, LIST_BLOCK_BITS + 5) == 1
    assert list_length(None) == list_length(LIST_BLOCK_BITS - 1) == LIST_BLOCK_BITS


def test_a_revoked_slot_given_out_between_the_two_reads_is_in_the_list():
    late = CertificationFactory()
    decertify(late)
    given: list[StatusListSlot] = []

    def give_a_slot_after_the_highest_index_is_read(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if "MAX" in sql and not given:
            # Another request's first issue of a decertified certification's credential, in
            # the next block of the list.
            given.append(StatusListSlot(certification=late, index=LIST_BLOCK_BITS + 7))
            given[0].save()
        return result

    with connection.execute_wrapper(give_a_slot_after_the_highest_index_is_read):
        bits = status_list_bits()

    assert given
    assert len(bits) * 8 == 2 * LIST_BLOCK_BITS
    assert is_set(LIST_BLOCK_BITS + 7)


def test_bitstring_puts_index_zero_at_the_left_most_bit():
    bits = bitstring([0, 9, 131_071], 131_072)

    assert (bits[0], bits[1], bits[-1]) == (0b1000_0000, 0b0100_0000, 0b0000_0001)
    assert encoded_list(bits) == encoded_list(bits)
    assert gzip.decompress(b64(encoded_list(bits)[1:])) == bits


@pytest.mark.parametrize("address", [
    "/credentials/status/2",
    "/credentials/status/0",
    "/credentials/status/99999999999999999999999999",
    "/credentials/status/one",
    "/credentials/status/-1",
    "/credentials/status/",
])
def test_another_list_is_a_404(client, address):
    assert client.get(address).status_code == 404


def test_status_list_answers_get_and_head_only(client):
    assert client.post("/credentials/status/1").status_code == 405
    assert client.head("/credentials/status/1").status_code == 200
