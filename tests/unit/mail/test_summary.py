"""SEARCH/SORT/THREAD values (RFC 5256, RFC 5957) computed at ingest."""

from __future__ import annotations

from courriel.mail import Address, message_ids, parse_message
from courriel.mail.summary import address_text

from .support import corpus


def test_summary_of_a_reply() -> None:
    summary = parse_message(corpus("alternative.eml")).summary
    assert summary.subject == "Re: [team] Fwd: Quarterly numbers"
    assert summary.base_subject == "Quarterly numbers"
    assert summary.is_reply
    assert summary.date == 1704288600  # 2024-01-03 13:30 UTC
    assert summary.message_id == "alt-2@example.net"
    assert summary.in_reply_to == ("q-1@example.org",)
    assert summary.references == ("q-0@example.org", "q-1@example.org")
    assert summary.from_text == "Carol Q. Public <carol@example.net>"
    assert summary.to_text == "dave@example.org, Eve, E. <eve@example.org>"
    assert summary.cc_text == "Frank <frank@example.org>"
    assert summary.bcc_text == ""
    assert not summary.has_attachment


def test_sort_keys() -> None:
    summary = parse_message(corpus("alternative.eml")).summary
    # RFC 5256 §3: FROM/TO/CC sort on the addr-mailbox of the first address.
    assert (summary.sort_from, summary.sort_to, summary.sort_cc) == ("carol", "dave", "frank")
    # RFC 5957: the display name, else the addr-spec.
    assert summary.display_from == "Carol Q. Public"
    assert summary.display_to == "dave@example.org"


def test_decoded_names_and_subject() -> None:
    summary = parse_message(corpus("encoded_words.eml")).summary
    assert summary.subject == "こんにちは and café“quoted”"
    assert summary.from_text == "André Dupont <andre@example.fr>"
    assert summary.to_text == "José <jose@example.es>, Привет <privet@example.ru>"
    assert summary.display_from == "André Dupont"
    assert summary.display_to == "José"


def test_groups_in_sort_keys_are_skipped() -> None:
    summary = parse_message(corpus("groups.eml")).summary
    assert summary.sort_to == "sybil"
    assert summary.display_to == "sybil@example.org"
    assert summary.sort_cc == ""
    assert summary.to_text.startswith("Team:, sybil@example.org")


def test_attachments() -> None:
    assert parse_message(corpus("mixed_attachment.eml")).summary.has_attachment
    assert parse_message(corpus("rfc822_attached.eml")).summary.has_attachment
    assert parse_message(corpus("rfc2231_filename.eml")).summary.has_attachment
    assert not parse_message(corpus("simple_text.eml")).summary.has_attachment
    signed = (
        b'Content-Type: multipart/signed; boundary="s"\r\n\r\n--s\r\n\r\ntext\r\n'
        b'--s\r\nContent-Type: application/pgp-signature; name="signature.asc"\r\n\r\n'
        b"sig\r\n--s--"
    )
    assert not parse_message(signed).summary.has_attachment


def test_message_ids() -> None:
    assert message_ids("<a@b> <c@d>") == ("a@b", "c@d")
    assert message_ids("<a @ b>\t<c@d> (comment)") == ("a@b", "c@d")
    assert message_ids("bare@id") == ("bare@id",)
    assert message_ids("<>") == ()
    assert message_ids(None) == ()
    assert message_ids(" ".join(f"<{i}@x>" for i in range(1000)), limit=3) == (
        "997@x",
        "998@x",
        "999@x",
    )


def test_address_text() -> None:
    addresses = (Address("=?utf-8?q?J=C3=B6rg?=", None, "j", "x"), Address(None, None, "k", ""))
    assert address_text(addresses) == "Jörg <j@x>, k"


def test_missing_headers() -> None:
    summary = parse_message(b"\r\nbody").summary
    assert summary.subject == summary.base_subject == ""
    assert summary.date is None
    assert summary.message_id is None
    assert summary.references == summary.in_reply_to == ()
    assert summary.sort_from == summary.display_from == ""
