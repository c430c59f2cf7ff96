"""Digest authentication: RFC 7616's own examples, stateless nonces, and hostile headers."""

from __future__ import annotations

import dataclasses
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sip_core import digest
from sip_core.digest import (
    Answer,
    Verdict,
    challenges,
    expected_response,
    make_nonce,
    nonce_verdict,
    parse_authorization,
    verify,
)

KEY, REALM = b"k" * 32, "provisioning"

# RFC 7616 section 3.9.1: the same request answered with SHA-256 and with MD5.
RFC_ANSWER = Answer(username="Mufasa", realm="http-auth@example.org",
                    nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", uri="/dir/index.html", response="",
                    qop="auth", nc="00000001", cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")


@pytest.mark.parametrize("algorithm, response", [
    ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
])
def test_responses_match_the_rfc_examples(algorithm, response):
    answer = dataclasses.replace(RFC_ANSWER, algorithm=algorithm)
    assert expected_response(answer, "GET", "Circle of Life") == response


def test_the_rfc_header_parses():
    header = ('Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", '
              'algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, '
              'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, '
              'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", '
              'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"')
    answer = parse_authorization(header)
    assert answer is not None and answer.algorithm == "SHA-256" and answer.nc == "00000001"
    assert expected_response(answer, "GET", "Circle of Life") == answer.response


@pytest.mark.parametrize("header", [
    None, "", "Basic dXNlcjpwYXNz", "Digest", "Digest username=", 'Digest username="a"',
    'Digest username="a", username="b", realm="r", nonce="n", uri="/", response="x"',
    'Digest username="a, realm="r"', "Digest " + "a=b, " * 2000, 'Digest username="\x00\xff", realm=',
])
def test_malformed_headers_are_none(header):
    assert parse_authorization(header) is None


def test_escaped_quotes_are_read():
    answer = parse_authorization(r'Digest username="a\"b", realm="r", nonce="n", uri="/", response="AB"')
    assert answer is not None and answer.username == 'a"b' and answer.response == "ab"


@pytest.mark.parametrize("age, verdict", [(0, Verdict.OK), (300, Verdict.OK), (301, Verdict.STALE)])
def test_nonces_expire(age, verdict):
    nonce = make_nonce(KEY, REALM, 1_000_000)
    assert nonce_verdict(KEY, REALM, nonce, 1_000_000 + age, lifetime=300) is verdict


@pytest.mark.parametrize("nonce", [
    "", "0" * 56, make_nonce(b"another key", REALM, 1_000_000), make_nonce(KEY, "another realm", 1_000_000),
    make_nonce(KEY, REALM, 1_000_000).upper(), make_nonce(KEY, REALM, 1_000_000) + "0",
])
def test_nonces_not_ours_are_wrong(nonce):
    assert nonce_verdict(KEY, REALM, nonce, 1_000_000, lifetime=300) is Verdict.WRONG


def answered(password, algorithm="MD5", qop="auth", now=1_000_000, realm=REALM):
    answer = Answer(username="0015651234ab", realm=realm, nonce=make_nonce(KEY, REALM, now), uri="/0015651234ab.cfg",
                    response="", algorithm=algorithm, qop=qop, nc="00000001" if qop else None,
                    cnonce="c" if qop else None)
    return dataclasses.replace(answer, response=expected_response(answer, "GET", password))


@pytest.mark.parametrize("answer, now, verdict", [
    (answered("secret"), 1_000_010, Verdict.OK),
    (answered("secret", "SHA-256"), 1_000_010, Verdict.OK),
    (answered("secret", qop=None), 1_000_010, Verdict.OK),
    (answered("secret"), 1_001_000, Verdict.STALE),
    (answered("not the secret"), 1_000_010, Verdict.WRONG),
    (answered("not the secret"), 1_001_000, Verdict.WRONG),
    (answered("secret", realm="elsewhere"), 1_000_010, Verdict.WRONG),
    (dataclasses.replace(answered("secret"), algorithm="SHA-512-256"), 1_000_010, Verdict.WRONG),
    (dataclasses.replace(answered("secret"), qop="auth-int"), 1_000_010, Verdict.WRONG),
    (dataclasses.replace(answered("secret"), uri="/other.cfg"), 1_000_010, Verdict.WRONG),
])
def test_answers_are_checked(answer, now, verdict):
    assert verify(answer, "GET", "secret", KEY, REALM, now, lifetime=300) is verdict


def test_challenges_offer_sha256_first_then_md5_with_one_nonce():
    sha, md5 = challenges(KEY, REALM, 1_000_000, stale=True)
    assert "algorithm=SHA-256" in sha and "algorithm=MD5" in md5 and "stale=true" in md5
    assert sha.split('nonce="')[1][:40] == md5.split('nonce="')[1][:40]


@settings(max_examples=500)
@given(st.lists(st.tuples(st.sampled_from(["username", "realm", "nonce", "uri", "response", "qop", "nc", "Realm", "x-y",
                                           "1bad", "", " nc "]),
                          st.sampled_from(["", " ", "="]),
                          st.text(alphabet='ab,"\\ =\t\x01é', max_size=6)), max_size=6),
       st.sampled_from([",", ", ", " ,", ",,"]))
def test_the_quick_reading_of_an_answer_takes_only_what_the_full_one_reads_alike(parts, separator):
    text = separator.join(f"{name}{equals}{value}" for name, equals, value in parts)
    quick = digest._plain_parameters(text)
    assert quick is None or quick == digest._parameters(text)


@pytest.mark.parametrize("text", [
    'username="u1", realm="sip.test", nonce="abc", uri="sip:sip.test", response="0a", qop=auth, nc=00000001',
    'username="u1",realm="sip.test",cnonce="6b8b4567",nc=00000001,qop=auth,uri="sip:sip.test",nonce="n",response="r"',
    'username = "u1" , realm="a b"',
])
def test_the_answers_phones_send_are_read_quickly_and_alike(text):
    quick = digest._plain_parameters(text)
    assert quick is not None and quick == digest._parameters(text)


@pytest.mark.parametrize("text", [
    'username="a"b"', 'username="a,b"', 'username="a\\"b"', 'username=a b', 'username="a', 'username=a"',
    'username=a,,realm=b', '1bad=x', 'username=x,username=y', 'username=\x01',
])
def test_odd_answers_are_left_to_the_full_reading(text):
    assert digest._plain_parameters(text) is None


@settings(max_examples=500)
@given(st.lists(st.tuples(st.sampled_from(["username", "realm", "nonce", "uri", "response", "qop", "nc", "Realm", "x-y",
                                           "1bad", "", " nc "]),
                          st.sampled_from(["", " ", "="]),
                          st.text(alphabet='ab,"\\ =\t\x01é', max_size=6)), max_size=6),
       st.sampled_from([",", ", ", " ,", ",,", ",\t"]))
def test_the_usual_reading_of_an_answer_takes_only_what_the_plain_one_reads_alike(parts, separator):
    text = separator.join(f"{name}{equals}{value}" for name, equals, value in parts)
    usual = digest._usual_parameters(text)
    assert usual is None or usual == digest._plain_parameters(text) == digest._parameters(text)


@pytest.mark.parametrize("text, read", [
    ('username="u1", realm="sip.test", nonce="abc", uri="sip:sip.test", response="0a", qop=auth, nc=00000001', True),
    ('username="u1",realm="sip.test",cnonce="6b8b4567",nc=00000001,qop=auth,uri="sip:sip.test",nonce="n",response="r"',
     True),
    ('username="", realm="a b", opaque=ab==', True),
    ('username = "u1" , realm="a b"', False),  # blanks around "=": the plain reading's
    ('Username="u1"', False),
    ('username="u1", username="u2"', False),
    ('username="a\\"b"', False),
    ('username=a b', False),
    ('username="u1",', False),
])
def test_which_answers_the_usual_reading_takes(text, read):
    usual = digest._usual_parameters(text)
    assert (usual is not None) is read
    if read:
        assert usual == digest._parameters(text)


def test_nonce_signatures_are_hmac_sha256_of_issued_and_realm():
    nonce = make_nonce(KEY, REALM, 1_000_000)
    expected = hmac.digest(KEY, f"{nonce[:24]}:{REALM}".encode(), "sha256").hex()[:32]
    assert nonce[24:] == expected and nonce_verdict(KEY, REALM, nonce, 1_000_000, 300) is Verdict.OK
    assert nonce_verdict(b"x" * 32, REALM, nonce, 1_000_000, 300) is Verdict.WRONG  # another key, prepared apart


def test_nonces_of_one_moment_are_all_different_and_none_foretells_the_next():
    nonces = [make_nonce(KEY, REALM, 1_000_000) for _ in range(10_000)]
    assert len(set(nonces)) == len(nonces)
    assert all(nonce_verdict(KEY, REALM, nonce, 1_000_000, 300) is Verdict.OK for nonce in nonces[:100])
    # The signature part (keyed) shares no pattern between two nonces.
    signatures = [nonce[24:] for nonce in nonces[:1000]]
    assert len(set(signatures)) == 1000 and len({signature[:4] for signature in signatures}) > 500
