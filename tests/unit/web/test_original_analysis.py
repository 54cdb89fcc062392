"""The header analysis of "Show original" (``web.headers_analysis``), on real-looking headers."""

from __future__ import annotations

import calendar

from courriel.mail.received import received_header, return_path_header
from courriel.mailauth.authresults import authentication_results_header
from courriel.mailauth.results import MethodResult
from courriel.spam.verdict import SpamVerdict
from courriel.spam.weights import Hit
from courriel.web.headers_analysis import (
    analyze_headers,
    parse_authentication_results,
    parse_received,
)
from courriel.web.original_views import format_delay

OURS = "mx.example.test"

# A message from Gmail through a mailing list relay, folded as real servers fold, with an
# IPv6 hop, a Postfix TLS comment, and a forged Authentication-Results claiming a pass from
# another authserv-id (and one, lower down, even claiming ours with a different case).
GMAIL_VIA_RELAY = (
    b"Return-Path: <list-bounces+bob=example.test@lists.example.org>\r\n"
    b"Received: from relay.example.org (relay.example.org [IPv6:2001:db8::25])\r\n"
    b"\tby mx.example.test with ESMTPS (TLSv1.3 TLS_AES_256_GCM_SHA384) id 4Xq9Z\r\n"
    b"\tfor <bob@example.test> tls TLS_AES_256_GCM_SHA384;\r\n"
    b"\tSun, 22 Nov 2026 10:00:07 +0000\r\n"
    b"Authentication-Results: mx.example.test;\r\n"
    b"\tspf=pass (domain of lists.example.org designates 2001:db8::25 as permitted sender)\r\n"
    b"\t smtp.mailfrom=list-bounces+bob=example.test@lists.example.org;\r\n"
    b"\tdkim=pass header.d=lists.example.org header.s=s1 header.b=abcd1234;\r\n"
    b"\tdkim=fail (body hash did not verify) header.d=gmail.com header.s=20230601;\r\n"
    b"\tdmarc=fail (p=none) header.from=gmail.com;\r\n"
    b"\tarc=pass (i=1) smtp.remote-ip=2001:db8::25;\r\n"
    b"\tiprev=pass policy.iprev=2001:db8::25 (relay.example.org)\r\n"
    b"X-Spam-Score: 3.5\r\n"
    b"X-Spam-Status: No, score=3.5, required=5.0\r\n"
    b"X-Spam-Report: score=3.5, required=5.0, 3 rules fired\r\n"
    b"\t*   2.5 DMARC_FAIL_NONE DMARC fails for the From domain gmail.com (policy none,\r\n"
    b"\t    not enforced)\r\n"
    b"\t*   1.5 FREEMAIL_FROM From address at a free mail provider\r\n"
    b"\t*  -0.5 ARC_PASS A trusted ARC chain\r\n"
    b"X-Virus-Scan: clean (clamd)\r\n"
    b"Authentication-Results: mx.google.com; spf=pass smtp.mailfrom=gmail.com;\r\n"
    b"  dkim=pass header.d=gmail.com; dmarc=pass header.from=gmail.com\r\n"
    b"Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\r\n"
    b"        by relay.example.org (Postfix) with ESMTPS id 9A1B2C3\r\n"
    b"        (using TLSv1.2 with cipher ECDHE-RSA-AES128-GCM-SHA256 (128/128 bits))\r\n"
    b"        for <list@lists.example.org>; Sun, 22 Nov 2026 09:59:45 +0000 (UTC)\r\n"
    b"Received: by mail-sor-f41.google.com with SMTP id a640c23a62f3a-a9a;\r\n"
    b"        Sun, 22 Nov 2026 01:59:40 -0800 (PST)\r\n"
    b"Received: from [192.168.1.20] (unknown) by laptop.local; garbage date\r\n"
    b"Authentication-Results: MX.EXAMPLE.TEST.; dmarc=pass header.from=gmail.com\r\n"
    b"From: Alice <alice@gmail.com>\r\n"
    b"To: list@lists.example.org\r\n"
    b"Subject: hello\r\n"
    b"\r\n"
    b"Body.\r\n"
)


def test_hops_oldest_first_with_addresses_tls_dates_and_delays() -> None:
    analysis = analyze_headers(GMAIL_VIA_RELAY, OURS)
    hops = analysis.hops
    assert [hop.by_host for hop in hops] == [
        "laptop.local",
        "mail-sor-f41.google.com",
        "relay.example.org",
        "mx.example.test",
    ]
    first, gmail, relay, ours = hops
    assert first.from_ip == "192.168.1.20" and first.date is None and first.delay is None
    assert first.from_helo == "[192.168.1.20]" and first.shown_helo is None
    assert relay.shown_helo == "mail-sor-f41.google.com"
    assert gmail.from_helo is None and gmail.protocol == "SMTP" and not gmail.encrypted
    assert gmail.date == calendar.timegm((2026, 11, 22, 9, 59, 40))  # the -0800 zone applied
    assert gmail.delay is None  # the hop before it had no readable date
    assert relay.from_helo == "mail-sor-f41.google.com"
    assert relay.from_host == "mail-sor-f41.google.com"
    assert relay.from_ip == "209.85.220.41"
    assert (relay.tls_version, relay.tls_cipher) == ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256")
    assert relay.queue_id == "9A1B2C3" and relay.delay == 5
    assert ours.from_ip == "2001:db8::25" and ours.ours and not relay.ours
    assert (ours.tls_version, ours.tls_cipher) == ("TLSv1.3", "TLS_AES_256_GCM_SHA384")
    assert ours.protocol == "ESMTPS" and ours.delay == 22


def test_only_our_authentication_results_count() -> None:
    analysis = analyze_headers(GMAIL_VIA_RELAY, OURS)
    assert analysis.checked
    # mx.google.com's field is ignored; so is nothing of ours: both fields with our
    # authserv-id (the case and trailing dot do not matter) are read.
    assert analysis.foreign_results == 1
    methods = [(r.method, r.result) for r in analysis.auth_results]
    assert methods[:6] == [
        ("spf", "pass"),
        ("dkim", "pass"),
        ("dkim", "fail"),
        ("dmarc", "fail"),
        ("arc", "pass"),
        ("iprev", "pass"),
    ]
    spf = analysis.auth_results[0]
    assert spf.reason is not None and spf.reason.startswith("domain of lists.example.org")
    assert spf.property("smtp.mailfrom") == "list-bounces+bob=example.test@lists.example.org"
    assert analysis.auth_results[2].reason == "body hash did not verify"
    assert analysis.result("dmarc") == analysis.auth_results[3]  # the first one wins


def test_forged_results_of_another_server_are_never_shown() -> None:
    forged = (
        b"Authentication-Results: mx.example.test.evil.org; dmarc=pass header.from=bank.test\r\n"
        b"Authentication-Results: (mx.example.test) other.test; spf=pass\r\n"
        b"Authentication-Results: mx.example.test-evil; spf=pass\r\n"
        b"Authentication-Results: ; spf=pass\r\n"
        b"From: Bank <support@bank.test>\r\n\r\nbody\r\n"
    )
    analysis = analyze_headers(forged, OURS)
    assert not analysis.checked and analysis.auth_results == []
    assert analysis.foreign_results == 4


def test_spam_score_rules_and_virus_scan() -> None:
    analysis = analyze_headers(GMAIL_VIA_RELAY, OURS)
    assert (analysis.spam_score, analysis.spam_required, analysis.is_spam) == (3.5, 5.0, False)
    assert [(r.weight, r.name) for r in analysis.spam_rules] == [
        (2.5, "DMARC_FAIL_NONE"),
        (1.5, "FREEMAIL_FROM"),
        (-0.5, "ARC_PASS"),
    ]
    assert analysis.spam_rules[0].description == (
        "DMARC fails for the From domain gmail.com (policy none, not enforced)"
    )
    assert analysis.virus_scan == "clean (clamd)"


def test_warnings_for_another_envelope_domain_and_failing_dmarc() -> None:
    analysis = analyze_headers(GMAIL_VIA_RELAY, OURS)
    assert analysis.from_addresses == ["alice@gmail.com"]
    assert analysis.return_path == "list-bounces+bob=example.test@lists.example.org"
    keys = {warning.key: warning.values for warning in analysis.warnings}
    assert keys["original.warn_envelope"]["envelope"].endswith("@lists.example.org")
    assert keys["original.warn_dmarc"] == {"domain": "gmail.com", "result": "fail"}


def test_no_warning_for_an_aligned_sender_a_subdomain_or_a_bounce() -> None:
    aligned = (
        b"Return-Path: <bounces+123@mail.shop.test>\r\n"
        b"Authentication-Results: mx.example.test; dmarc=pass header.from=shop.test\r\n"
        b"From: Shop <news@shop.test>\r\n\r\n"
    )
    assert analyze_headers(aligned, OURS).warnings == []
    bounce = b"Return-Path: <>\r\nFrom: MAILER-DAEMON@shop.test\r\n\r\n"
    analysis = analyze_headers(bounce, OURS)
    assert analysis.return_path == "" and analysis.warnings == []


def test_no_from_and_several_from_domains_are_warned() -> None:
    assert [w.key for w in analyze_headers(b"Subject: x\r\n\r\n", OURS).warnings] == [
        "original.warn_no_from"
    ]
    many = analyze_headers(b"From: a@one.test, b@two.test\r\n\r\n", OURS)
    assert [w.key for w in many.warnings] == ["original.warn_many_from"]


def test_what_our_own_writers_write_reads_back() -> None:
    """The fields ``mail.received``, ``mailauth.authresults`` and ``spam.verdict`` write."""
    received = received_header(
        from_helo="client.example.org",
        from_ip="::ffff:198.51.100.7",
        from_rdns="client.example.org",
        by_host=OURS,
        protocol="ESMTPS",
        tls=("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256"),
        queue_id="QID42",
        for_recipient="bob@example.test",
        now=1_800_000_000.0,
    )
    results = authentication_results_header(
        OURS,
        [
            MethodResult("spf", "softfail", "not permitted", (("smtp.mailfrom", "x@o.test"),)),
            MethodResult("dmarc", "pass", None, (("header.from", "example.org"),)),
        ],
    )
    verdict = SpamVerdict(
        1,
        7.25,
        5.0,
        10.0,
        "junk",
        (Hit("BAYES_99", 5.0, "classifier: 99% spam " + "word " * 30), Hit("URIBL", 2.25, "x")),
    )
    raw = (
        return_path_header("x@o.test")
        + received
        + results
        + verdict.headers()
        + b"From: <a@example.org>\r\n\r\n"
    )
    analysis = analyze_headers(raw, OURS)
    (hop,) = analysis.hops
    assert (hop.from_helo, hop.from_ip, hop.by_host, hop.ours) == (
        "client.example.org",
        "198.51.100.7",
        OURS,
        True,
    )
    assert (hop.tls_version, hop.tls_cipher) == ("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256")
    assert hop.queue_id == "QID42" and hop.date == 1_800_000_000
    assert [(r.method, r.result, r.reason) for r in analysis.auth_results] == [
        ("spf", "softfail", "not permitted"),
        ("dmarc", "pass", None),
    ]
    assert (analysis.spam_score, analysis.is_spam) == (7.2, True)  # written with one decimal
    assert [(r.name, r.weight) for r in analysis.spam_rules] == [
        ("BAYES_99", 5.0),
        ("URIBL", 2.25),
    ]
    assert analysis.spam_rules[0].description.endswith("word word")  # continuations joined
    assert [w.key for w in analysis.warnings] == ["original.warn_envelope"]


def test_received_variants() -> None:
    microsoft = parse_received(
        "from AM0PR02MB1234.eurprd02.prod.outlook.com (2603:10a6:208:11::16) by "
        "AM0PR02MB5678.eurprd02.prod.outlook.com (2603:10a6:20b:1::22) with Microsoft SMTP "
        "Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7; "
        "Fri, 20 Nov 2026 08:01:02 +0000",
        OURS,
    )
    assert microsoft.from_ip == "2603:10a6:208:11::16"
    assert microsoft.tls_version == "TLSv1.2"
    assert microsoft.tls_cipher == "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
    assert microsoft.protocol == "Microsoft"
    bare = parse_received("by localhost", OURS)
    assert (bare.from_ip, bare.date, bare.by_host, bare.encrypted) == (
        None,
        None,
        "localhost",
        False,
    )
    empty = parse_received("", OURS)
    assert empty.by_host is None and empty.text == ""
    unbalanced = parse_received("from x ((( by y; Fri, 20 Nov 2026 08:01:02 +0000", OURS)
    assert unbalanced.from_helo == "x"


def test_authentication_results_syntax() -> None:
    serv, results = parse_authentication_results("example.net 1; none")
    assert serv == "example.net" and results == []
    serv, results = parse_authentication_results(
        'example.net; dkim=pass reason="good signature" header.i=@mail-router.example.net; '
        'spf=fail smtp.mailfrom="x;y@example.com"'
    )
    assert [(r.method, r.result, r.reason) for r in results] == [
        ("dkim", "pass", "good signature"),
        ("spf", "fail", None),
    ]
    assert results[0].property("header.i") == "@mail-router.example.net"
    assert results[1].property("smtp.mailfrom") == "x;y@example.com"


def test_delays() -> None:
    assert [format_delay(s, "en") for s in (0, 42, 185, 7800, 2 * 86400 + 3600)] == [
        "+0 s",
        "+42 s",
        "+3 min 5 s",
        "+2 h 10 min",
        "+2 d 1 h",
    ]
    assert format_delay(-12, "fr") == "-12 s" and format_delay(90000, "fr") == "+1 j 1 h"


def test_bad_headers_give_an_analysis_never_an_error() -> None:
    loop = b"".join(
        b"Received: from a.test by b.test; Sun, 22 Nov 2026 10:%02d:00 +0000\r\n" % (i % 60)
        for i in range(200)
    )
    samples = [
        b"",
        b"\x00\xff\xfe binary, no header at all",
        b"Received:\r\nAuthentication-Results:\r\nX-Spam-Score: lots\r\n"
        b"X-Spam-Status: maybe\r\nX-Spam-Report: *\r\nReturn-Path:\r\nFrom:\r\n\r\n",
        b"Received: from ((((((\r\nAuthentication-Results: mx.example.test; spf\r\n\r\n",
        b'Authentication-Results: mx.example.test; dkim="unterminated\r\n\r\n',
        "From: \u00e9l\u00e8ve <\u00e9@\u00e9cole.test>\r\n\r\n".encode(),
        loop,
    ]
    for raw in samples:
        analysis = analyze_headers(raw, OURS)
        assert len(analysis.hops) <= 50
    assert analyze_headers(samples[2], OURS).spam_score is None
    assert analyze_headers(samples[-2], OURS).from_addresses == ["\u00e9@\u00e9cole.test"]
