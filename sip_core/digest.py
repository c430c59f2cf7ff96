"""HTTP Digest authentication (RFC 7616, and RFC 8760 for SIP): challenges, stateless nonces, answers checked.

Shared by the SIP core and the provisioning front end (which may import sip_core). Pure functions and
no I/O: the caller supplies the clock, the nonce key and the password.

No library is used because none fits both callers: the maintained ones are tied to a web framework's
request objects or to a client, and none signs stateless nonces. Nonces are
``<issued, 8 hex digits><salt, 16 hex digits><HMAC-SHA-256 of issued, salt and realm, 32 hex digits>``: any
process holding the key checks them without shared state, no two challenges share one (the salt: a count
per nonce then tells a replay), and they expire after `lifetime` seconds (the answer is then "stale",
so a client retries with the new nonce without asking its user again). Nonce counts are the caller's
business (SIP keeps them per nonce; a provisioning download is idempotent).

Answers are read three ways, quickest first, each refusing what it cannot read alike: the usual form of phones
(one pattern, then a split), any answer without escapes (a split), anything else (the full grammar).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from enum import Enum

#: Algorithms offered, strongest first; MD5 last, because most phones know only it.
ALGORITHMS = ("SHA-256", "MD5")
_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
#: Longest Authorization header value read; a longer one is refused unparsed.
MAX_HEADER = 4096
# The quoted value as an unrolled loop (runs of plain characters between escapes): twice as fast as an
# alternation tried character by character, for the same matches.
_PARAMETER = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"([^"\\]*(?:\\.[^"\\]*)*)"|([^\s,"]*))\s*(?:,|$)')
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
# One parameter as phones write it: a lower-case name, "=", then a quoted value without quote, backslash or comma,
# or a value of printable ASCII without blank, quote, backslash or comma.
_USUAL = r'([a-z][a-z0-9_-]*)=(?:"([^"\\,]*)"|([\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]*))'
_USUAL_ANSWER = re.compile(rf"{_USUAL}(?:,[ \t]*{_USUAL})*")
_USUAL_PARAMETER = re.compile(_USUAL)
_QUOTED_ESCAPE = re.compile(r"\\(.)")
_NONCE = re.compile(r"[0-9a-f]{56}")


class Verdict(Enum):
    """What checking an answer found."""

    OK = "ok"
    STALE = "stale"  # right password, but the nonce expired: challenge again with stale=true
    WRONG = "wrong"  # wrong password, forged nonce, or an answer that does not add up


@dataclass(frozen=True)
class Answer:
    """The parameters of a client's ``Authorization: Digest ...`` header."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: str = "MD5"
    qop: str | None = None
    nc: str | None = None
    cnonce: str | None = None
    opaque: str | None = None


def parse_authorization(header: str | None) -> Answer | None:
    """The Digest answer in an Authorization header value, or None when it is absent, not Digest, or malformed."""
    if not header or len(header) > MAX_HEADER:
        return None
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    rest = rest.strip()
    params = _usual_parameters(rest)
    if params is None:
        params = _plain_parameters(rest)
    if params is None:
        params = _parameters(rest)
        if params is None:
            return None
    try:
        return Answer(username=params["username"], realm=params["realm"], nonce=params["nonce"], uri=params["uri"],
                      response=params["response"].lower(), algorithm=params.get("algorithm", "MD5").upper(),
                      qop=params.get("qop"), nc=params.get("nc"), cnonce=params.get("cnonce"),
                      opaque=params.get("opaque"))
    except KeyError:
        return None


def _usual_parameters(rest: str) -> dict[str, str] | None:
    """The parameters of an answer written as phones write it (lower-case names, ``name=value`` or
    ``name="value"`` joined by a comma and blanks), checked by one regular expression then read by another;
    None for anything else.

    What it reads is a part of what `_plain_parameters` reads, and alike (tests/sip_core/test_digest.py).
    """
    if _USUAL_ANSWER.fullmatch(rest) is None:
        return None
    found = _USUAL_PARAMETER.findall(rest)
    params = {name: quoted or token for name, quoted, token in found}
    return params if len(params) == len(found) else None  # a repeated parameter is left to the others


def _plain_parameters(rest: str) -> dict[str, str] | None:
    """The parameters of an answer with no comma, quote or backslash inside a value (every phone's, every time),
    read by splitting; None for anything else, which `_parameters` then reads (or refuses).

    A third of a registration's time went to the regular expression; this reads the same answers, and nothing
    it takes is refused by `_parameters` (tests/sip_core/test_digest.py checks that on random input).
    """
    if "\\" in rest:
        return None
    params: dict[str, str] = {}
    for part in rest.split(","):
        name, equals, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not _NAME.fullmatch(name):
            return None
        if value[:1] == '"':
            if len(value) < 2 or value[-1] != '"' or '"' in value[1:-1]:
                return None
            value = value[1:-1]
        elif '"' in value or not (value.isprintable() and " " not in value):
            return None
        name = name.lower()
        if name in params:
            return None
        params[name] = value
    return params


def _parameters(rest: str) -> dict[str, str] | None:
    """The parameters of an answer, quoted values unescaped; None when malformed or a parameter is repeated."""
    params: dict[str, str] = {}
    position = 0
    for match in _PARAMETER.finditer(rest):
        if match.start() != position or match.end() == position:
            return None  # something between two parameters that is not one
        name, quoted, token = match.groups()
        name = name.lower()
        if name in params:
            return None  # a repeated parameter is an attack or a bug: neither is answered
        if quoted is None:
            params[name] = token
        else:
            params[name] = _QUOTED_ESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted
        position = match.end()
    return params if position == len(rest) else None


def parse_challenge(header: str | None) -> dict[str, str] | None:
    """The parameters of a ``Digest`` WWW-Authenticate or Proxy-Authenticate value (names lower-cased), or None."""
    if not header or len(header) > MAX_HEADER:
        return None
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    params: dict[str, str] = {}
    position, rest = 0, rest.strip()
    while position < len(rest):
        match = _PARAMETER.match(rest, position)
        if match is None or match.end() == position:
            return None
        quoted, token = match.group(2), match.group(3)
        params[match.group(1).lower()] = _QUOTED_ESCAPE.sub(r"\1", quoted) if quoted is not None else token
        position = match.end()
    return params if "realm" in params and "nonce" in params else None


def authorization(challenge: dict[str, str], method: str, uri: str, username: str, password: str, cnonce: str,
                  nc: int = 1) -> str | None:
    """The Authorization value answering a parsed challenge as a client (None: an algorithm or qop we lack)."""
    algorithm = challenge.get("algorithm", "MD5").upper()
    qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
    if algorithm not in _HASHES or (qops and "auth" not in qops):
        return None
    answer = Answer(username=username, realm=challenge["realm"], nonce=challenge["nonce"], uri=uri, response="",
                    algorithm=algorithm, qop="auth" if qops else None, nc=f"{nc:08x}" if qops else None,
                    cnonce=cnonce if qops else None, opaque=challenge.get("opaque"))
    response = expected_response(answer, method, password)
    value = (f'Digest username="{username}", realm="{answer.realm}", nonce="{answer.nonce}", uri="{uri}", '
             f'response="{response}", algorithm={algorithm}')
    if qops:
        value += f', qop=auth, nc={answer.nc}, cnonce="{cnonce}"'
    if answer.opaque is not None:
        value += f', opaque="{answer.opaque}"'
    return value


def make_nonce(key: bytes, realm: str, now: float) -> str:
    """A nonce for `realm` issued at `now`, signed with `key`."""
    issued = f"{int(now) & 0xFFFFFFFF:08x}{os.urandom(8).hex()}"  # what secrets.token_hex(8) reads, fewer calls
    return issued + _signature(key, realm, issued)


@functools.lru_cache(maxsize=8)  # one key per server, a few in tests
def _keyed(key: bytes) -> hmac.HMAC:
    """An HMAC-SHA-256 of `key` over nothing yet: copying it skips the key set-up each nonce would cost."""
    return hmac.new(key, digestmod="sha256")


def _signature(key: bytes, realm: str, issued: str) -> str:
    mac = _keyed(bytes(key)).copy()
    mac.update(f"{issued}:{realm}".encode())
    return mac.hexdigest()[:32]


def nonce_verdict(key: bytes, realm: str, nonce: str, now: float, lifetime: float) -> Verdict:
    """OK for a nonce we signed less than `lifetime` seconds ago, STALE for an older one, WRONG otherwise."""
    if not _NONCE.fullmatch(nonce):
        return Verdict.WRONG
    issued = nonce[:24]
    if not hmac.compare_digest(nonce[24:], _signature(key, realm, issued)):
        return Verdict.WRONG
    age = (int(now) - int(issued[:8], 16)) & 0xFFFFFFFF
    return Verdict.OK if age <= lifetime else Verdict.STALE


def challenge(realm: str, nonce: str, algorithm: str, stale: bool = False) -> str:
    """A WWW-Authenticate (or Proxy-Authenticate) header value offering `algorithm` with qop=auth."""
    value = f'Digest realm="{realm}", nonce="{nonce}", algorithm={algorithm}, qop="auth"'
    return value + (", stale=true" if stale else "")


def challenges(key: bytes, realm: str, now: float, stale: bool = False) -> list[str]:
    """One challenge per algorithm, strongest first (RFC 7616 section 3.7), sharing one nonce."""
    nonce = make_nonce(key, realm, now)
    return [challenge(realm, nonce, algorithm, stale) for algorithm in ALGORITHMS]


def _hash(algorithm: str, text: str) -> str:
    return _HASHES[algorithm](text.encode("utf-8")).hexdigest()


def expected_response(answer: Answer, method: str, password: str) -> str | None:
    """The response a client knowing `password` sends for `answer`'s other parameters (None: cannot be checked)."""
    if answer.algorithm not in _HASHES:
        return None
    ha1 = _hash(answer.algorithm, f"{answer.username}:{answer.realm}:{password}")
    ha2 = _hash(answer.algorithm, f"{method}:{answer.uri}")
    if answer.qop is None:  # RFC 2069 compatibility, still sent by old phones
        return _hash(answer.algorithm, f"{ha1}:{answer.nonce}:{ha2}")
    if answer.qop != "auth" or not answer.nc or not answer.cnonce:
        return None
    return _hash(answer.algorithm, f"{ha1}:{answer.nonce}:{answer.nc}:{answer.cnonce}:{answer.qop}:{ha2}")


def verify(answer: Answer, method: str, password: str, key: bytes, realm: str, now: float,
           lifetime: float) -> Verdict:
    """Check a client's answer: realm, nonce (ours, fresh) and response for `password`."""
    if answer.realm != realm:
        return Verdict.WRONG
    expected = expected_response(answer, method, password)
    if expected is None or not hmac.compare_digest(expected, answer.response):
        return Verdict.WRONG
    return nonce_verdict(key, realm, answer.nonce, now, lifetime)
