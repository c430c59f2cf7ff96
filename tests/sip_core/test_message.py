"""SIP messages: parsing datagrams and streams, the accessors, writing back, responses, and hostile input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sip_core.framing import PING, StreamFramer
from sip_core.message import (
    MAX_MESSAGE,
    REASONS,
    MalformedMessage,
    Request,
    Response,
    Via,
    canonical_name,
    new_branch,
    new_tag,
    parse_via,
    response_to,
)
from sip_core.parsing import parse

REGISTER = (
    "REGISTER sip:pbx.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.168.1.23:5060;branch=z9hG4bK1f2e3d;rport\r\n"
    "Max-Forwards: 70\r\n"
    'From: "Desk 101" <sip:101@pbx.example.com>;tag=8f9e7d6c\r\n'
    "To: <sip:101@pbx.example.com>\r\n"
    "Call-ID: 4c2b1a0f9e8d@192.168.1.23\r\n"
    "CSeq: 42 REGISTER\r\n"
    'Contact: <sip:101@192.168.1.23:5060;transport=udp>;+sip.instance="<urn:uuid:1234>";reg-id=1\r\n'
    'Authorization: Digest username="101", realm="pbx.example.com", nonce="abc", uri="sip:pbx.example.com", '
    'response="0123456789abcdef0123456789abcdef", algorithm=MD5, cnonce="x", qop=auth, nc=00000001\r\n'
    "Expires: 3600\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE\r\n"
    "Content-Length: 0\r\n\r\n"
).encode()


def message(*, start: str = "OPTIONS sip:pbx.example.com SIP/2.0", drop: tuple[str, ...] = (),
            extra: str = "", body: bytes = b"", length: str | None = None) -> bytes:
    """A minimal valid request, with some headers dropped, others added, and a given body."""
    headers = {
        "Via": "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc", "From": "<sip:a@example.com>;tag=1",
        "To": "<sip:b@example.com>", "Call-ID": "call-1", "CSeq": f"1 {start.split()[0]}",
    }
    lines = [start] + [f"{name}: {value}" for name, value in headers.items() if name not in drop]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode() + body


def malformed(data: bytes) -> MalformedMessage:
    with pytest.raises(MalformedMessage) as error:
        parse(data)
    return error.value


# --- a well-formed REGISTER --------------------------------------------------

def test_a_register_parses_and_its_accessors_read_it():
    request = parse(REGISTER)
    assert isinstance(request, Request)
    assert (request.method, request.uri, request.version) == ("REGISTER", "sip:pbx.example.com", "SIP/2.0")
    assert request.call_id == "4c2b1a0f9e8d@192.168.1.23" and request.cseq == (42, "REGISTER")
    assert request.max_forwards == 70 and request.expires == 3600 and request.content_length == 0
    assert request.vias == [Via("UDP", "192.168.1.23", 5060, {"branch": "z9hG4bK1f2e3d", "rport": None})]
    assert request.from_.display_name == "Desk 101" and request.from_.tag == "8f9e7d6c"
    assert request.to.tag is None and request.to.uri.user == "101"
    [contact] = request.contacts
    assert contact.uri.params == {"transport": "udp"} and contact.params["reg-id"] == "1"
    assert request.request_uri.host == "pbx.example.com"
    assert request.header("authorization").startswith("Digest username=")


def test_a_register_encodes_back_to_the_same_bytes():
    assert parse(REGISTER).encode() == REGISTER


def test_headers_keep_their_order_one_entry_per_line():
    names = [name for name, _ in parse(REGISTER).headers]
    assert names == ["Via", "Max-Forwards", "From", "To", "Call-ID", "CSeq", "Contact", "Authorization",
                     "Expires", "Allow", "Content-Length"]


def test_a_response_with_spaces_and_utf8_in_its_reason():
    data = ("SIP/2.0 486 Occupé, rappelez plus tard\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\n"
            "To: <sip:c@d>;tag=2\r\nCall-ID: c\r\nCSeq: 5 INVITE\r\nContent-Length: 0\r\n\r\n").encode()
    response = parse(data)
    assert isinstance(response, Response)
    assert (response.status, response.reason) == (486, "Occupé, rappelez plus tard")
    assert response.cseq == (5, "INVITE") and response.to.tag == "2"
    assert parse(response.encode()).reason == response.reason


# --- header names and lines --------------------------------------------------

@pytest.mark.parametrize("short, long", [
    ("i", "Call-ID"), ("m", "Contact"), ("e", "Content-Encoding"), ("l", "Content-Length"), ("c", "Content-Type"),
    ("f", "From"), ("s", "Subject"), ("k", "Supported"), ("t", "To"), ("v", "Via"), ("o", "Event"),
    ("u", "Allow-Events"), ("r", "Refer-To"), ("b", "Referred-By"), ("x", "Session-Expires"),
    ("a", "Accept-Contact"), ("j", "Reject-Contact"), ("d", "Request-Disposition"), ("y", "Identity"),
    ("n", "Identity-Info"),
])
def test_compact_header_names(short, long):
    value = "0" if long == "Content-Length" else "<sip:x@example.com>;q=0.5"
    drop = (long,) if long in ("Call-ID", "From", "To", "Via") else ()
    request = parse(message(drop=drop, extra=f"{short}: {value}\r\n"))
    assert request.header(short) == request.header(long) == request.header(long.upper()) == value
    assert (long, value) in request.headers
    assert f"{long}: {value}".encode() in request.encode()


def test_compact_forms_of_the_mandatory_headers():
    data = (b"INVITE sip:bob@biloxi.com SIP/2.0\r\nv: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8\r\n"
            b"t: Bob <sip:bob@biloxi.com>\r\nf: Alice <sip:alice@atlanta.com>;tag=1928301774\r\ni: a84b4c76e66710\r\n"
            b"CSeq: 314159 INVITE\r\nm: <sip:alice@pc33.atlanta.com>\r\nc: application/sdp\r\nl: 4\r\n\r\nv=0\r\n")
    request = parse(data)
    assert request.call_id == "a84b4c76e66710" and request.from_.tag == "1928301774" and request.body == b"v=0\r"
    assert request.header("Content-Type") == "application/sdp" and request.vias[0].host == "pc33.atlanta.com"


def test_canonical_names():
    assert [canonical_name(name) for name in ("v", "VIA", "call-id", "cseq", "www-authenticate", "x-serial-no")] \
        == ["Via", "Via", "Call-ID", "CSeq", "WWW-Authenticate", "X-Serial-No"]


def test_unknown_headers_are_kept_and_found_in_any_case():
    request = parse(message(extra="x-Yealink-MAC: 001565aabbcc\r\n"))
    assert request.header("X-YEALINK-MAC") == "001565aabbcc" and ("X-Yealink-Mac", "001565aabbcc") in request.headers


def test_folded_lines_continue_the_previous_header():
    request = parse(message(extra="Subject: I know you're there,\r\n  pick up the phone\r\n\tand talk to me!\r\n"))
    assert request.header("Subject") == "I know you're there, pick up the phone and talk to me!"


def test_a_folded_via_list():
    data = message(drop=("Via",), extra="Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1,\r\n"
                                        " SIP/2.0/TCP b.example.com:5070;branch=z9hG4bK2\r\n")
    assert [via.host for via in parse(data).vias] == ["a.example.com", "b.example.com"]


def test_whitespace_around_the_colon():
    request = parse(message(drop=("Call-ID",), extra="Call-ID  :\t call-2  \r\nSubject:x\r\n"))
    assert request.call_id == "call-2" and request.header("Subject") == "x"


def test_a_start_line_with_extra_spaces():
    request = parse(message(start="OPTIONS   sip:pbx.example.com   SIP/2.0  "))
    assert (request.method, request.uri) == ("OPTIONS", "sip:pbx.example.com")


def test_bare_lf_line_ends_are_tolerated():
    request = parse(message(body=b"hello").replace(b"\r\n", b"\n"))
    assert request.call_id == "call-1" and request.body == b"hello"


@pytest.mark.parametrize("line", ["Bad Header: x", "Via@: x", "no colon here", ": empty name", "Ça: va"])
def test_header_names_with_illegal_characters_are_400(line):
    error = malformed(message(extra=line + "\r\n"))
    assert error.status == 400 and "bad header line" in error.reason and error.answerable


def test_a_bare_cr_in_a_header_is_400():
    error = malformed(message(extra="Subject: a\rInjected: b\r\n"))
    assert error.status == 400 and error.reason == "bare CR in headers"


def test_nul_in_a_header_is_400_but_fine_in_the_body():
    error = malformed(message(extra="Subject: a\x00b\r\n"))
    assert (error.status, error.reason) == (400, "control character 0x00 in headers")
    assert parse(message(body=b"\x00\xff\x00", length="3")).body == b"\x00\xff\x00"


def test_non_utf8_headers_are_400_and_the_response_carries_the_bytes_back():
    data = message(drop=("From",), extra="From: \"Andr\xe9\" <sip:a@example.com>;tag=1\r\n".encode("latin-1").decode(
        "latin-1"))
    data = data.replace("Andr\xe9".encode(), "Andr\xe9".encode("latin-1"))
    error = malformed(data)
    assert (error.status, error.reason, error.answerable) == (400, "headers are not UTF-8", True)
    assert b'From: "Andr\xe9" <sip:a@example.com>;tag=1' in response_to(error.message, 400).encode()


def test_the_body_stays_bytes_and_is_never_decoded():
    body = "é".encode("latin-1") + b"\xff\xfe"
    assert parse(message(body=body, length=str(len(body)))).body == body


# --- methods, versions, URIs -------------------------------------------------

def test_unknown_methods_parse():
    request = parse(message(start="FROBNICATE sip:pbx.example.com SIP/2.0"))
    assert request.method == "FROBNICATE" and request.cseq == (1, "FROBNICATE")


def test_a_wrong_sip_version_is_505_and_answerable():
    error = malformed(message(start="OPTIONS sip:pbx.example.com SIP/3.0"))
    assert error.status == 505 and error.answerable and isinstance(error.message, Request)
    assert error.reason == "SIP version SIP/3.0 not supported"


@pytest.mark.parametrize("start", [
    "GET / HTTP/1.1", "OPTIONS sip:pbx.example.com", "OPTIONS sip:a b SIP/2.0", "SIP/2.0 OK", "SIP/2.0 99 Low",
    "SIP/2.0 1000 Big", "OP<>TIONS sip:pbx SIP/2.0", "\x16\x03\x01 hello", "SIP/2.0 ２００ OK",
])
def test_a_garbage_start_line_is_not_answerable(start):
    error = malformed(message(start=start))
    assert error.status == 400 and not error.answerable


def test_a_request_uri_with_escapes():
    request = parse(message(start="INVITE sip:%61lice@example.com;transport=tcp SIP/2.0"))
    assert request.uri == "sip:%61lice@example.com;transport=tcp" and request.request_uri.user == "alice"


def test_an_unsupported_request_uri_scheme_is_416():
    error = malformed(message(start="OPTIONS http://example.com/ SIP/2.0"))
    assert error.status == 416 and error.answerable


def test_a_request_uri_that_is_no_uri_is_400():
    assert malformed(message(start="OPTIONS pbx.example.com SIP/2.0")).status == 400


# --- mandatory headers and CSeq ----------------------------------------------

@pytest.mark.parametrize("header, answerable", [
    ("Via", False), ("Call-ID", False), ("CSeq", False), ("From", True), ("To", True),
])
def test_missing_mandatory_headers(header, answerable):
    error = malformed(message(drop=(header,)))
    assert (error.status, error.reason, error.answerable) == (400, f"missing {header} header", answerable)


def test_max_forwards_may_be_missing():
    assert parse(message()).max_forwards is None


def test_cseq_method_must_match_the_request_method():
    error = malformed(message(drop=("CSeq",), extra="CSeq: 1 INVITE\r\n"))
    assert error.status == 400 and "does not match" in error.reason and error.answerable


@pytest.mark.parametrize("cseq", ["x OPTIONS", "1", "-1 OPTIONS", "2147483648 OPTIONS", "1 OPTIONS extra", "٣ OPTIONS"])
def test_an_unreadable_cseq_is_not_answerable(cseq):
    error = malformed(message(drop=("CSeq",), extra=f"CSeq: {cseq}\r\n"))
    assert error.status == 400 and not error.answerable


def test_responses_are_never_answerable():
    error = malformed(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nCSeq: 1 INVITE\r\n\r\n")
    assert error.reason == "missing Call-ID header" and not error.answerable


# --- Content-Length and sizes ------------------------------------------------

def test_a_shorter_content_length_cuts_the_body():
    assert parse(message(body=b"abcdef", length="3")).body == b"abc"


def test_without_content_length_a_datagram_body_is_the_rest():
    assert parse(message(body=b"abcdef")).body == b"abcdef"


def test_a_longer_content_length_is_400():
    error = malformed(message(body=b"x" * 20, length="500"))
    assert (error.status, error.reason) == (400, "Content-Length 500 larger than body 20") and error.answerable


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", "99999999999999999999999", "9" * 5000, "", "0x10", "１"])
def test_unreadable_content_lengths_are_400(length):
    error = malformed(message(length=length))
    assert error.status == 400 and "Content-Length" in error.reason


def test_conflicting_content_lengths_are_400():
    error = malformed(message(length="0", extra="l: 3\r\n", body=b"abc"))
    assert error.reason == "conflicting Content-Length headers"


def test_oversized_datagrams_are_413():
    error = malformed(message(body=b"x" * MAX_MESSAGE))
    assert error.status == 413 and error.answerable
    error = malformed(b"garbage " * 10_000)
    assert error.status == 413 and not error.answerable


def test_a_message_of_exactly_the_maximum_size_parses():
    head = message()
    assert len(parse(head + b"x" * (MAX_MESSAGE - len(head))).body) == MAX_MESSAGE - len(head)


@pytest.mark.parametrize("data", [b"", b"\r\n", b"\r\n\r\n", b"\n" * 7])
def test_keep_alive_datagrams_are_none(data):
    assert parse(data) is None


def test_crlfs_before_the_start_line_are_ignored():
    assert parse(b"\r\n\r\n" + message()).call_id == "call-1"


# --- lists, Via, contacts ----------------------------------------------------

def test_several_vias_on_one_line_and_on_several_lines():
    data = message(drop=("Via",), extra="Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP "
                                        "b.example.com:5070;branch=z9hG4bK2\r\nv: SIP/2.0/TLS [2001:db8::1]:5061"
                                        ";branch=z9hG4bK3;received=2001:db8::9\r\n")
    request = parse(data)
    assert [(via.transport, via.host, via.port, via.branch) for via in request.vias] == [
        ("UDP", "a.example.com", None, "z9hG4bK1"), ("TCP", "b.example.com", 5070, "z9hG4bK2"),
        ("TLS", "[2001:db8::1]", 5061, "z9hG4bK3")]
    assert request.vias[2].received == "2001:db8::9" and len(request.header_values("Via")) == 3
    assert [name for name, _ in request.headers].count("Via") == 2


def test_list_headers_split_but_credentials_and_dates_do_not():
    request = parse(REGISTER.replace(b"Expires: 3600\r\n", b"Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"
                                     b"WWW-Authenticate: Digest realm=\"a\", nonce=\"b\"\r\nSupported: path, outbound\r\n"
                                     b"Supported: gruu\r\n"))
    assert request.header_values("Allow") == ["INVITE", "ACK", "CANCEL", "BYE"]
    assert request.header_values("k") == ["path", "outbound", "gruu"]
    assert len(request.header_values("Authorization")) == 1 and len(request.header_values("Date")) == 1
    assert request.header_values("WWW-Authenticate") == ['Digest realm="a", nonce="b"']
    assert request.header_values("Subject") == []


def test_contacts_over_several_lines_and_with_commas_in_quotes():
    request = parse(message(extra='Contact: "Smith, J" <sip:j@a>;q=0.7, <sip:k@b>;expires=60\r\nm: sip:l@c;q=1\r\n'))
    assert [contact.uri_text for contact in request.contacts] == ["sip:j@a", "sip:k@b", "sip:l@c"]
    assert request.contacts[2].params == {"q": "1"}


def test_contact_wildcard_and_its_misuse():
    assert parse(message(extra="Contact: *\r\n")).contacts == "*"
    assert parse(message()).contacts == []
    request = parse(message(extra="Contact: *\r\nContact: <sip:a@b>\r\n"))
    with pytest.raises(MalformedMessage) as error:
        _ = request.contacts
    assert error.value.reason == "Contact '*' mixed with other contacts" and error.value.answerable


@pytest.mark.parametrize("header, value", [("Expires", "soon"), ("Max-Forwards", "-1"), ("Expires", "1" * 50)])
def test_unreadable_numbers_are_400_when_read(header, value):
    request = parse(message(extra=f"{header}: {value}\r\n"))
    with pytest.raises(MalformedMessage) as error:
        _ = request.expires if header == "Expires" else request.max_forwards
    assert error.value.status == 400 and error.value.answerable


def test_a_malformed_via_is_not_answerable_when_read():
    request = parse(message(drop=("Via",), extra="Via: SIP/2.0/UDP\r\n"))
    with pytest.raises(MalformedMessage) as error:
        _ = request.vias
    assert not error.value.answerable


@pytest.mark.parametrize("value, rport", [
    ("SIP/2.0/UDP h;branch=z9hG4bK1", None), ("SIP/2.0/UDP h;rport;branch=z9hG4bK1", ""),
    ("SIP/2.0/UDP h;branch=z9hG4bK1;rport=5066;received=1.2.3.4", "5066"),
])
def test_via_rport(value, rport):
    assert parse_via(value).rport == rport


def test_via_with_spaces_in_its_protocol_and_its_encoding():
    via = parse_via("SIP / 2.0 / udp Host.Example.COM : 5060 ;branch=z9hG4bK77;received=10.1.1.1")
    assert (via.transport, via.host, via.port, via.received) == ("UDP", "host.example.com", 5060, "10.1.1.1")
    assert via.encode() == "SIP/2.0/UDP host.example.com:5060;branch=z9hG4bK77;received=10.1.1.1"
    assert parse_via(via.encode()) == via


@pytest.mark.parametrize("value", ["", "SIP/2.0/UDP", "HTTP/1.1/TCP h", "SIP/2.0/UDP h:70000", "SIP/2.0/UDP h junk",
                                   "SIP/2.0/UDP h;=1", "SIP/2.0/UDP <h>"])
def test_malformed_vias(value):
    with pytest.raises(MalformedMessage):
        parse_via(value)


# --- changing and writing messages -------------------------------------------

def test_set_add_remove_headers_and_the_caches_follow():
    request = parse(REGISTER)
    assert request.expires == 3600 and request.vias[0].branch == "z9hG4bK1f2e3d"
    request.set_header("expires", "60")
    request.add_header("v", "SIP/2.0/TLS proxy.example.com;branch=z9hG4bKtop", first=True)
    assert request.expires == 60 and request.vias[0].branch == "z9hG4bKtop" and len(request.vias) == 2
    assert [name for name, _ in request.headers].index("Expires") == 9  # replaced where it was
    request.remove_header("Via")
    assert request.vias == [] and request.header("Via") is None


def test_header_values_cannot_inject_lines():
    request = parse(REGISTER)
    for value in ("a\r\nVia: evil", "a\nb", "a\x00"):
        with pytest.raises(ValueError):
            request.add_header("Subject", value)
        with pytest.raises(ValueError):
            request.set_header("Via", value)
    assert request.encode() == REGISTER  # nothing half-changed


def test_encode_writes_long_names_and_recomputes_content_length():
    request = parse(message(extra="i: x\r\nl: 99\r\n", drop=("Call-ID",), body=b"hello" + b"." * 94))
    request.body = b"hi"
    data = request.encode()
    assert b"Call-ID: x\r\n" in data and b"Content-Length: 2\r\n\r\nhi" in data and b"99" not in data
    assert data.endswith(b"\r\n\r\nhi") and parse(data).body == b"hi"


def test_messages_built_in_code():
    request = Request("OPTIONS", "sip:a@b", [("v", "SIP/2.0/UDP h;branch=z9hG4bK1"), ("i", "c"), ("CSeq", "1 OPTIONS"),
                                             ("f", "<sip:x@y>;tag=1"), ("t", "<sip:a@b>")], body=b"x")
    parsed = parse(request.encode())
    assert parsed.headers == request.headers + [("Content-Length", "1")] and parsed.body == b"x"
    assert Response(480).reason == "Temporarily Unavailable"


# --- responses ---------------------------------------------------------------

def test_response_to_copies_the_headers_and_adds_the_to_tag():
    request = parse(message(drop=("Via",), extra="Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP b;branch=z9hG4bK2,"
                                                 " SIP/2.0/UDP c;branch=z9hG4bK3\r\nTimestamp: 54\r\nSubject: s\r\n"))
    response = response_to(request, 200, to_tag="srv1")
    assert response.reason == "OK" and response.to.tag == "srv1" and response.header("Subject") is None
    assert [via.host for via in response.vias] == ["a", "b", "c"]
    assert [name for name, _ in response.headers] == ["Via", "Via", "From", "To", "Call-ID", "CSeq"]
    assert response.header("Timestamp") is None and response_to(request, 100).header("Timestamp") == "54"
    parsed = parse(response.encode())
    assert (parsed.status, parsed.call_id, parsed.cseq, parsed.from_.tag) == (200, "call-1", (1, "OPTIONS"), "1")


def test_response_to_keeps_an_existing_to_tag_and_tags_an_addr_spec():
    request = parse(message(drop=("To",), extra="To: <sip:b@example.com>;tag=old\r\n"))
    assert response_to(request, 481, to_tag="new").to.tag == "old"
    request = parse(message(drop=("To",), extra="To: sip:b@example.com\r\n"))
    response = response_to(request, 404, "Nobody Here", to_tag="t9")
    assert response.to.tag == "t9" and response.to.uri.params == {} and response.reason == "Nobody Here"


@pytest.mark.parametrize("status", [100, 180, 183, 200, 202, 301, 302, 400, 401, 403, 404, 405, 407, 408, 413, 415,
                                    416, 420, 423, 429, 480, 481, 482, 483, 486, 487, 488, 489, 491, 494, 500, 501,
                                    503, 504, 505, 513, 600, 603, 604, 606])
def test_reason_phrases_of_the_standard_codes(status):
    assert REASONS[status] and response_to(parse(message()), status).reason == REASONS[status]


def test_branches_and_tags_are_fresh_and_url_safe():
    branches = {new_branch() for _ in range(100)}
    assert len(branches) == 100 and all(branch.startswith("z9hG4bK") for branch in branches)
    tags = {new_tag() for _ in range(100)}
    assert len(tags) == 100 and all(tag.replace("-", "").replace("_", "").isalnum() for tag in tags)


# --- streams -----------------------------------------------------------------

def test_a_stream_is_framed_by_content_length_even_byte_by_byte():
    data = message(length="5", body=b"hello") + REGISTER
    assert [item.call_id for item in StreamFramer().feed(data)] == ["call-1", "4c2b1a0f9e8d@192.168.1.23"]
    framer, found = StreamFramer(), []
    for byte in data:
        found += framer.feed(bytes([byte]))
    assert [item.body for item in found] == [b"hello", b""]


def test_pings_are_reported_and_pongs_dropped():
    framer = StreamFramer()
    assert framer.feed(b"\r\n") == []  # half a ping, or a pong: wait
    assert framer.feed(b"\r\n") == [PING]
    items = framer.feed(b"\r\n" + REGISTER + b"\r\n\r\n" + REGISTER)
    assert [type(item) for item in items] == [Request, type(PING), Request]


def test_missing_content_length_on_a_stream_breaks_it():
    framer = StreamFramer()
    [error] = framer.feed(message() + REGISTER)
    assert isinstance(error, MalformedMessage) and "Content-Length" in error.reason and error.answerable
    assert framer.broken and framer.feed(REGISTER) == []


def test_endless_headers_on_a_stream_are_413():
    framer = StreamFramer()
    assert framer.feed(b"REGISTER sip:a SIP/2.0\r\n") == []
    items = []
    for _ in range(100):
        items += framer.feed(b"X-Filler: " + b"y" * 1000 + b"\r\n")
    [error] = items
    assert error.status == 413 and framer.broken and not error.answerable


def test_a_huge_content_length_on_a_stream_is_413_at_once():
    framer = StreamFramer()
    [error] = framer.feed(message(length="10000000"))
    assert error.status == 413 and error.answerable and framer.broken


def test_a_broken_message_in_a_well_framed_stream_does_not_break_it():
    framer = StreamFramer()
    items = framer.feed(message(drop=("From",), length="0") + REGISTER)
    assert isinstance(items[0], MalformedMessage) and items[0].reason == "missing From header"
    assert isinstance(items[1], Request) and not framer.broken


def test_garbage_on_a_stream_breaks_it():
    framer = StreamFramer()
    [error] = framer.feed(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert not error.answerable and framer.broken


# --- properties --------------------------------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30).map(lambda text: text.strip(" \t"))
_TOKENS = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~", min_size=1,
                  max_size=12)


@st.composite
def requests(draw) -> Request:
    method = draw(_TOKENS)
    user = draw(st.text("abcdefxyz0123456789", min_size=1, max_size=8))
    headers = [
        ("Via", f"SIP/2.0/UDP 10.0.0.{draw(st.integers(1, 254))};branch=z9hG4bK{draw(_TOKENS)}"),
        ("From", f'"{draw(st.text("abc xyz", max_size=8))}" <sip:{user}@example.com>;tag={draw(_TOKENS)}'),
        ("To", f"<sip:{user}@example.com>"), ("Call-ID", draw(_TOKENS)),
        ("CSeq", f"{draw(st.integers(0, 2 ** 31 - 1))} {method}"),
    ]
    extra = draw(st.lists(st.tuples(st.sampled_from(["Subject", "User-Agent", "X-Note", "Supported", "Expires"]) | _TOKENS,
                                    _TEXT), max_size=6))
    headers += [(canonical_name(name), value) for name, value in extra if canonical_name(name) != "Content-Length"]
    return Request(method, f"sip:{user}@example.com", headers, draw(st.binary(max_size=200)))


@given(requests())
def test_encoded_messages_parse_back_the_same(request):
    parsed = parse(request.encode())
    assert (parsed.method, parsed.uri, parsed.body) == (request.method, request.uri, request.body)
    assert parsed.headers[:-1] == request.headers and parsed.headers[-1] == ("Content-Length", str(len(request.body)))
    assert parsed.encode() == request.encode()


def _read_everything(item) -> None:
    """Every accessor of a parsed item: each may only raise MalformedMessage."""
    if item is None or not isinstance(item, (Request, Response)):
        return
    for reader in (lambda: item.vias, lambda: item.from_.uri, lambda: item.to.uri, lambda: item.contacts,
                   lambda: item.cseq, lambda: item.expires, lambda: item.max_forwards,
                   lambda: getattr(item, "request_uri", None), lambda: response_to(item, 400).encode()
                   if isinstance(item, Request) else None, item.encode):
        try:
            reader()
        except MalformedMessage:
            pass


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_random_bytes_only_raise_malformed(data):
    try:
        _read_everything(parse(data))
    except MalformedMessage:
        pass
    for item in StreamFramer().feed(data):
        _read_everything(item)


@settings(max_examples=300)
@given(st.integers(0, len(REGISTER)), st.binary(min_size=1, max_size=12), st.integers(0, 12))
def test_damaged_registers_only_raise_malformed(position, inserted, removed):
    data = REGISTER[:position] + inserted + REGISTER[position + removed:]
    try:
        _read_everything(parse(data))
    except MalformedMessage:
        pass
    framer = StreamFramer()
    for cut in range(0, len(data), 97):
        for item in framer.feed(data[cut:cut + 97]):
            _read_everything(item)


def test_replace_first_changes_or_pops_only_the_first_value_of_a_list_header():
    request = Request("BYE", "sip:a@b", [("Via", "SIP/2.0/UDP a:1;branch=z9hG4bK1, SIP/2.0/UDP b:2;branch=z9hG4bK2"),
                                         ("Via", "SIP/2.0/UDP c:3;branch=z9hG4bK3"), ("Route", "<sip:p;lr>")])
    assert request.vias[0].host == "a"
    request.replace_first("Via", "SIP/2.0/UDP z:9;branch=z9hG4bK9")
    assert [via.host for via in request.vias] == ["z", "b", "c"]
    request.replace_first("Via", None)
    assert [via.host for via in request.vias] == ["b", "c"]
    request.replace_first("v", None)
    assert [via.host for via in request.vias] == ["c"]
    request.replace_first("Route", None)
    assert request.header("Route") is None
    request.replace_first("Route", None)  # none left: nothing happens
    with pytest.raises(ValueError):
        request.replace_first("Via", "x\r\nInjected: 1")


# --- the quick paths give what the full ones gave -------------------------------------------------------

@pytest.mark.parametrize("extra, problem", [
    ("Subject: plain\r\n", None),
    ("Subject: tab\there\r\n", None),
    ("Subject: a\x01b\r\n", (400, "control character 0x01 in headers")),
    ("Subject: a\x7fb\r\n", (400, "control character 0x7f in headers")),
    ("Subject: a\rb\r\n", (400, "bare CR in headers")),
    ("Subject: a\x00b\rc\r\n", (400, "control character 0x00 in headers")),  # the first problem found is named
    ("Subject: a\nX-Other: b\r\n", None),  # a bare LF ends a line
    ("Subject: a\r\r\n", (400, "bare CR in headers")),
])
def test_the_one_pass_check_of_a_head_finds_what_the_separate_checks_found(extra, problem):
    if problem is None:
        assert parse(message(extra=extra)).header("Subject") in ("plain", "tab\there", "a")
    else:
        error = malformed(message(extra=extra))
        assert (error.status, error.reason) == problem and error.answerable


def test_a_stamped_top_via_alone_on_its_line_is_rewritten_in_place_and_the_cache_holds():
    request = parse(message(extra="Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKz\r\n"))
    to, cseq = request.to, request.cseq
    via = request.vias[0]
    via.params["received"] = "192.0.2.1"
    request.rewrite_top_via(via)
    assert request.header_values("Via") == ["SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;received=192.0.2.1",
                                            "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKz"]
    assert request.to is to and request.cseq is cseq and request.vias[0] is via and len(request.vias) == 2
    assert parse(request.encode()).vias[0].received == "192.0.2.1"


def test_a_stamped_top_via_sharing_its_line_keeps_the_others():
    request = parse(message(drop=("Via",),
                            extra="Via: SIP/2.0/UDP a:1;branch=z9hG4bK1;rport, SIP/2.0/UDP b;branch=z9hG4bK2\r\n"))
    via = request.vias[0]
    via.params["rport"] = "7"
    request.rewrite_top_via(via)
    assert [line for name, line in request.headers if name == "Via"] == [
        "SIP/2.0/UDP a:1;branch=z9hG4bK1;rport=7, SIP/2.0/UDP b;branch=z9hG4bK2"]
    assert request.vias[0] is via and [v.host for v in request.vias] == ["a", "b"]


def test_response_to_puts_the_copied_headers_in_their_order_whatever_the_request_s():
    request = parse(b"REGISTER sip:x SIP/2.0\r\nCSeq: 1 REGISTER\r\nCall-ID: c\r\n"
                    b"Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\nTo: <sip:u@x>\r\nX-A: 1\r\nFrom: <sip:u@x>;tag=1\r\n"
                    b"Via: SIP/2.0/UDP b;branch=z9hG4bK2\r\n"
                    b"Timestamp: 3\r\n\r\n")
    assert response_to(request, 200).headers == [
        ("Via", "SIP/2.0/UDP a;branch=z9hG4bK1"), ("Via", "SIP/2.0/UDP b;branch=z9hG4bK2"),
        ("From", "<sip:u@x>;tag=1"), ("To", "<sip:u@x>"), ("Call-ID", "c"), ("CSeq", "1 REGISTER")]
    assert response_to(request, 100).headers[-1] == ("Timestamp", "3")


def test_a_value_with_a_cr_lf_or_nul_is_still_refused_in_a_response():
    request = parse(message())
    request.headers[0] = ("Via", "SIP/2.0/UDP a;branch=z9hG4bK1\rX")
    with pytest.raises(ValueError):
        response_to(request, 400)
