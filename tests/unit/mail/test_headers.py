"""Header block scanning: header end, fields with offsets, unfolding (RFC 5322 §2.2)."""

from __future__ import annotations

from courriel.mail import HeaderField, find_header_end, split_header_fields, unfold


def test_header_end_with_crlf_separator() -> None:
    raw = b"A: 1\r\nB: 2\r\n\r\nbody"
    assert find_header_end(raw) == (12, 14)


def test_header_end_with_lf_separator() -> None:
    raw = b"A: 1\nB: 2\n\nbody"
    assert find_header_end(raw) == (10, 11)


def test_header_end_inside_a_range() -> None:
    raw = b"xxxxA: 1\r\n\r\nbodyyyy"
    assert find_header_end(raw, 4, 16) == (10, 12)


def test_header_without_separator_or_final_newline() -> None:
    assert find_header_end(b"A: 1\r\nB: 2") == (10, 10)


def test_continuation_lines_belong_to_the_header() -> None:
    raw = b"A: 1\r\n  more\r\n\tand more\r\n\r\n"
    assert find_header_end(raw) == (25, 27)


def test_a_line_without_colon_ends_the_header() -> None:
    raw = b"A: 1\r\nnot a field\r\nB: 2\r\n\r\n"
    assert find_header_end(raw) == (6, 6)


def test_eight_bit_field_names_and_values_are_fields() -> None:
    raw = b"X-\xff: \xfe\x00\r\n\r\n"
    assert find_header_end(raw) == (9, 11)


def test_split_fields_with_offsets() -> None:
    raw = b"Subject: hello\r\n world\r\nTo :  a@b\r\n\r\nbody"
    header_end, _ = find_header_end(raw)
    fields = split_header_fields(raw, 0, header_end)
    assert fields == [
        HeaderField("Subject", b" hello\r\n world", 0, 24),
        HeaderField("To", b"  a@b", 24, 35),
    ]
    assert raw[fields[1].start : fields[1].end] == b"To :  a@b\r\n"
    assert fields[0].unfolded == b"hello world"
    assert fields[0].lname == "subject"


def test_split_fields_respects_the_limit() -> None:
    raw = b"A: 1\r\n" * 50
    assert len(split_header_fields(raw, max_fields=10)) == 10


def test_split_fields_skips_a_leading_continuation_line() -> None:
    raw = b"  orphan\r\nA: 1\r\n"
    assert [field.name for field in split_header_fields(raw)] == ["A"]


def test_unfold() -> None:
    assert unfold(b" a\r\n b\n\tc ") == b"a b\tc"
    assert unfold(b"plain") == b"plain"
