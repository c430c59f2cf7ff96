"""SIP URIs and addresses: RFC 3261 forms, escapes, where parameters belong, and hostile text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sip_core import uri
from sip_core.address import Address, parse_address, parse_contacts
from sip_core.uri import MalformedMessage, SipUri, parse_uri, split_list


@pytest.mark.parametrize("text, expected", [
    ("sip:alice@example.com", SipUri("sip", "alice", "example.com")),
    ("sip:%61lice@EXAMPLE.com", SipUri("sip", "alice", "example.com")),
    ("SIP:alice:secret@example.com:5070", SipUri("sip", "alice", "example.com", 5070, password="secret")),
    ("sips:bob@[2001:DB8::1]:5061", SipUri("sips", "bob", "[2001:db8::1]", 5061)),
    ("sip:proxy.example.com;lr", SipUri("sip", None, "proxy.example.com", params={"lr": None})),
    ("sip:+33123456789@gw.example.com;user=phone;transport=TCP",
     SipUri("sip", "+33123456789", "gw.example.com", params={"user": "phone", "transport": "TCP"})),
    ("sip:alice@example.com;maddr=239.255.255.1;ttl=15",
     SipUri("sip", "alice", "example.com", params={"maddr": "239.255.255.1", "ttl": "15"})),
    ("sip:alice;day=tue@example.com", SipUri("sip", "alice;day=tue", "example.com")),
    ("sip:carol@example.com?Subject=project%20x&priority=urgent",
     SipUri("sip", "carol", "example.com", headers={"Subject": "project x", "priority": "urgent"})),
    ("tel:+1-201-555-0123;phone-context=example.com",
     SipUri("tel", "+1-201-555-0123", "", params={"phone-context": "example.com"})),
])
def test_uris_parse(text, expected):
    assert parse_uri(text) == expected


def test_uri_accessors_read_the_parameters():
    uri = parse_uri("sip:p1.example.com;transport=TCP;lr")
    assert uri.transport == "tcp" and uri.lr
    assert parse_uri("sip:a@b").transport is None and not parse_uri("sip:a@b").lr


@pytest.mark.parametrize("text", [
    "sip:alice@example.com", "sips:bob:pw@[2001:db8::1]:5061;transport=tcp;lr",
    "sip:a%20b@host?Subject=hi%20there", "tel:+12015550123;phone-context=example.com", "sip:h;maddr=10.0.0.1",
])
def test_encoding_round_trips(text):
    uri = parse_uri(text)
    assert parse_uri(uri.encode()) == uri


def test_user_part_is_escaped_again():
    assert SipUri("sip", "a b@c", "host").encode() == "sip:a%20b%40c@host"


@pytest.mark.parametrize("text", ["http://example.com/", "mailto:alice@example.com", "urn:service:sos"])
def test_other_schemes_are_416(text):
    with pytest.raises(MalformedMessage) as error:
        parse_uri(text)
    assert error.value.status == 416 and "scheme" in error.value.reason


@pytest.mark.parametrize("text", [
    "", "sip:", "alice@example.com", "1sip:a@b", "sip:@host", "sip:a@", "sip:a b@c", "sip:a@host:99999",
    "sip:a@host:0", "sip:%ff@host", "sip:a@ho st", "sip:a@<host>", "sip:a@host;=x", "sip:a@host;\x00",
])
def test_garbage_uris_are_400(text):
    with pytest.raises(MalformedMessage) as error:
        parse_uri(text)
    assert error.value.status == 400


def test_quoted_display_name_with_escaped_quote():
    address = parse_address(r'"Alice \"Al\" Smith" <sip:alice@example.com>;tag=1928301774')
    assert address.display_name == 'Alice "Al" Smith' and address.tag == "1928301774"
    assert address.uri == SipUri("sip", "alice", "example.com")
    assert parse_address(address.encode()) == address


def test_unquoted_display_name():
    address = parse_address("Bob Jones <sips:bob@biloxi.example.com>")
    assert address.display_name == "Bob Jones" and address.uri.scheme == "sips" and address.tag is None


def test_parameters_inside_the_brackets_belong_to_the_uri():
    address = parse_address("<sip:a@b;transport=tcp>;tag=1")
    assert address.uri.params == {"transport": "tcp"} and address.params == {"tag": "1"}


def test_without_brackets_parameters_belong_to_the_header():  # RFC 3261 section 20.10
    address = parse_address("sip:a@b;tag=1;expires=60")
    assert address.uri.params == {} and address.params == {"tag": "1", "expires": "60"}


def test_quoted_parameter_values_are_unquoted_and_quoted_again():
    address = parse_address('<sip:a@b>;+sip.instance="<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";reg-id=1')
    assert address.params["+sip.instance"] == "<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>"
    assert parse_address(address.encode()) == address


def test_the_uri_is_parsed_only_when_read():
    address = parse_address("<sip:a@b:99999>;tag=x")  # a bad port, but the tag is readable
    assert address.tag == "x" and address.uri_text == "sip:a@b:99999"
    with pytest.raises(MalformedMessage):
        _ = address.uri


@pytest.mark.parametrize("text", [
    '"unterminated <sip:a@b>', '"name" sip:a@b', "<sip:a@b", "<sip:a@b> junk", "<>", "a b c",
    '<sip:a@b>;tag="unterminated', "<sip:a@b>;=1", '<sip:a@b>;x="a"b',
])
def test_malformed_addresses(text):
    with pytest.raises(MalformedMessage):
        parse_address(text)


def test_contacts_split_on_commas_outside_quotes_and_brackets():
    contacts = parse_contacts('"Smith, J" <sip:j@a;x=1,2>;q=0.7, <sip:k@b>;expires=60,sip:l@c')
    assert [contact.display_name for contact in contacts] == ["Smith, J", None, None]
    assert [contact.uri_text for contact in contacts] == ["sip:j@a;x=1,2", "sip:k@b", "sip:l@c"]
    assert contacts[0].params == {"q": "0.7"} and contacts[1].params == {"expires": "60"}


def test_contact_wildcard():
    assert parse_contacts(" * ") == "*"


@pytest.mark.parametrize("value, items", [
    ("INVITE, ACK ,BYE", ["INVITE", "ACK", "BYE"]),
    ('"a,b" <sip:x>, <sip:y,z>', ['"a,b" <sip:x>', "<sip:y,z>"]),
    (r'"a\",b" <sip:x>, c', [r'"a\",b" <sip:x>', "c"]),
    (" , a,, ", ["a"]),
    ('"unterminated, x', ['"unterminated, x']),
])
def test_split_list(value, items):
    assert split_list(value) == items


def test_address_built_in_code_encodes():
    assert Address(SipUri("sip", "a", "b"), 'Q"uote', {"tag": "t"}).encode() == r'"Q\"uote" <sip:a@b>;tag=t'


@given(st.text(max_size=80))
def test_random_text_only_raises_malformed(text):
    for read in (parse_uri, lambda value: parse_address(value).uri,
                 lambda value: [contact.uri for contact in parse_contacts(value) if contact != "*"]):
        try:
            read(text)
        except MalformedMessage:
            pass


@given(st.lists(st.sampled_from(['"', "\\", "<", ">", ",", ";", "=", "@", ":", "%", "sip:", "a", " ", "?", "&"]),
                max_size=30).map("".join))
def test_grammar_characters_only_raise_malformed(text):
    test_random_text_only_raises_malformed.hypothesis.inner_test(text)


# --- the quick reading of the usual URIs -----------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("sip:u1000@sip.test", SipUri("sip", "u1000", "sip.test")),
    ("sip:sip.test", SipUri("sip", None, "sip.test")),
    ("sips:u1000@Phone.Example.COM:5061", SipUri("sips", "u1000", "phone.example.com", 5061)),
    ("sip:+33123456789@10.0.0.1:5060", SipUri("sip", "+33123456789", "10.0.0.1", 5060)),
])
def test_the_usual_uris_are_read_quickly_and_alike(text, expected):
    assert uri._usual_uri(text) == expected == uri._any_uri(text) == parse_uri(text)


@pytest.mark.parametrize("text", [
    "SIP:u@h", "sip:u@h;transport=udp", "sip:%61@h", "sip:u:pw@h", "sip:u@[::1]", "sip:u@h?x=y", "tel:+331",
    "sip:u@h:0", "sip:u@h:65536", "sip:@h", "sip:u@", "sip:u@h:", "sip:u h@x", "http://x",
])
def test_other_uris_are_left_to_the_full_reading(text):
    assert uri._usual_uri(text) is None


@given(st.text(alphabet="sipSIP:@%;=?&.-_[]<>\" \t0123456789abcxyz+!~*'()$,/", max_size=30))
def test_the_quick_reading_of_a_uri_takes_only_what_the_full_one_reads_alike(text):
    quick = uri._usual_uri(text)
    if quick is not None:
        assert quick == uri._any_uri(text)
