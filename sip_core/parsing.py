"""Reading SIP messages from bytes (RFC 3261 sections 7 and 18): a datagram with `parse`, a stream's messages
with framing.py through `read_head`, `declared_length` and `complete`.

Parsing is lazy (message.py says why): the start line and the header lines are split into ``(canonical name,
raw value)`` pairs and what every message needs is checked (the mandatory headers, CSeq, Content-Length, the
SIP version, the Request-URI scheme). Every problem is a `MalformedMessage` carrying the status to answer with
(and, from message.answerable, whether an answer can be built at all). The usual head is checked for control
characters and bare line ends in one pass; only a head failing it is looked at closer, to name its problem.

Keep-alives: `parse` returns None for an empty datagram or one made only of CRLFs (nothing to answer).
"""

from __future__ import annotations

import re

from sip_core.header_names import _CANONICAL, canonical_name
from sip_core.message import _TOKEN, KNOWN_METHODS, MAX_MESSAGE, Request, Response, _number, answerable
from sip_core.uri import SCHEMES, MalformedMessage

__all__ = ["complete", "declared_length", "parse", "read_head"]

#: Headers every message must have.
_MANDATORY = ("Via", "Call-ID", "CSeq", "From", "To")
_VERSION = re.compile(r"SIP/[0-9]{1,3}\.[0-9]{1,3}", re.I)
_SCHEME_NAME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_CONTROLS = bytes(byte for byte in range(32) if byte not in b"\t\r\n") + b"\x7f"  # refused in headers
_CONTROLS_AND_LINE_ENDS = _CONTROLS + b"\r\n"


def _start(line: str) -> Request | Response:
    """The message a start line begins; garbage cannot be answered."""
    if line[:4].upper() == "SIP/":
        parts = line.split(None, 2)
        status = parts[1] if len(parts) > 1 else ""
        if not _VERSION.fullmatch(parts[0]) or not (len(status) == 3 and status.isascii() and status.isdigit()
                                                     and "1" <= status[0] <= "6"):
            raise MalformedMessage(f"bad status line {line[:64]!r}")
        return Response(int(status), parts[2].strip() if len(parts) > 2 else "", version=parts[0])
    parts = line.split()
    if len(parts) != 3 or not (parts[0] in KNOWN_METHODS or _TOKEN.fullmatch(parts[0])) or not (
            parts[2] == "SIP/2.0" or _VERSION.fullmatch(parts[2])):
        raise MalformedMessage(f"bad request line {line[:64]!r}")
    return Request(parts[0], parts[1], version=parts[2])


def read_head(head: bytes) -> tuple[Request | Response, tuple[str, int] | None]:
    """The message of a start line and header lines, and the first problem found in the header lines."""
    problem = None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:  # read on, so a response can still be built; surrogates keep the bytes
        text = head.decode("utf-8", "surrogateescape")
        problem = ("headers are not UTF-8", 400)
    lines = text.split("\r\n")
    breaks = len(lines) - 1
    # One pass for the usual head: as many CRs and LFs as CRLFs, and nothing else removed, means no control
    # character and no bare CR or LF (there are at least `breaks` of each).
    if problem is not None or len(head) - len(head.translate(None, _CONTROLS_AND_LINE_ENDS)) != 2 * breaks:
        if problem is None and len(head.translate(None, _CONTROLS)) != len(head):
            problem = (f"control character {next(byte for byte in head if byte in _CONTROLS):#04x} in headers", 400)
        if text.count("\n") != breaks or text.count("\r") != breaks:  # bare LF line ends are tolerated, bare CR not
            text = text.replace("\r\n", "\n")
            if "\r" in text:
                problem = problem or ("bare CR in headers", 400)
            lines = text.split("\n")
    message = _start(lines[0])
    try:  # the usual case: known header names, no folding; a KeyError falls back to reading line by line
        canonical = _CANONICAL
        headers = [(canonical[name], value.strip(" \t"))
                   for name, colon, value in [line.partition(":") for line in lines[1:]] if colon]
        if len(headers) != breaks:
            raise KeyError
        message.headers = headers
    except KeyError:
        problem = _read_lines(lines, message.headers) or problem
    return message, problem


def _read_lines(lines: list[str], headers: list[tuple[str, str]]) -> tuple[str, int] | None:
    """Fill `headers` from the header `lines` (unknown names, folding), and return the first problem found."""
    problem = None
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):  # folded (section 7.3.1): continues the previous line
            if headers:
                name, value = headers[-1]
                headers[-1] = (name, (value + " " + line.strip(" \t")).strip(" \t"))
            else:
                problem = problem or ("folded line before any header", 400)
            continue
        name, colon, value = line.partition(":")
        known = _CANONICAL.get(name)
        if known is None:
            name = name.rstrip(" \t")
            known = _CANONICAL.get(name)
            if known is None:
                if not _TOKEN.fullmatch(name):
                    problem = problem or (f"bad header line {line[:40]!r}", 400)
                    continue
                known = canonical_name(name)
        if not colon:
            problem = problem or (f"bad header line {line[:40]!r}", 400)
            continue
        headers.append((known, value.strip(" \t")))
    return problem


def declared_length(headers: list[tuple[str, str]]) -> int | None:
    """The Content-Length of `headers`, None without one."""
    values = [value for name, value in headers if name == "Content-Length"]
    if not values:
        return None
    if any(value != values[0] for value in values):
        raise MalformedMessage("conflicting Content-Length headers")
    return _number(values[0], "Content-Length")


def complete(message: Request | Response, problem: tuple[str, int] | None, body: bytes,
              datagram: bool) -> Request | Response:
    """`message` with its body, once every check that needs no structured header has passed."""
    if problem is None:
        problem = _problem(message)
    try:
        declared = declared_length(message.headers)
    except MalformedMessage as error:
        problem = problem or (error.reason, 400)
    else:
        if declared is not None and declared < len(body):
            body = body[:declared]
        elif declared is not None and declared > len(body):
            problem = problem or (f"Content-Length {declared} larger than body {len(body)}", 400)
        elif declared is None and not datagram:
            problem = problem or ("missing Content-Length header (required on TCP and TLS)", 400)
    message.body = body
    if problem is not None:
        raise MalformedMessage(problem[0], problem[1], answerable(message))
    return message


def _problem(message: Request | Response) -> tuple[str, int] | None:
    """The first thing wrong with an otherwise well-formed message's version, headers or Request-URI."""
    if message.version != "SIP/2.0" and message.version.upper() != "SIP/2.0":
        return f"SIP version {message.version} not supported", 505
    present = {name for name, _ in message.headers}
    for name in _MANDATORY:
        if name not in present:
            return f"missing {name} header", 400
    try:
        _, method = message.cseq
    except MalformedMessage as error:
        return error.reason, 400
    if isinstance(message, Request):
        if method != message.method:
            return f"CSeq method {method} does not match the request method {message.method}", 400
        scheme, colon, _ = message.uri.partition(":")
        if not (colon and scheme in SCHEMES):  # a lower-case scheme of ours needs no more
            if not colon or not _SCHEME_NAME.fullmatch(scheme):
                return f"Request-URI {message.uri[:64]!r} is not a URI", 400
            if scheme.lower() not in SCHEMES:
                return f"unsupported URI scheme {scheme.lower()!r}", 416
    return None


def parse(data: bytes) -> Request | Response | None:
    """The message in one datagram (UDP), or None for a keep-alive (empty, or only CRLFs).

    The body is what follows the blank line, cut to the Content-Length when that is shorter; a longer
    Content-Length is an error. A head without a blank line is read as a message without a body.
    """
    if data[:1] in b"\r\n":  # also true for b"": leading CRLFs are ignored (section 7.5)
        data = data.lstrip(b"\r\n")
        if not data:
            return None
    end, skip = data.find(b"\r\n\r\n"), 4
    if end < 0:
        end, skip = data.find(b"\n\n"), 2
        if end < 0:
            end, skip = len(data), 0
    if len(data) > MAX_MESSAGE:
        reason = f"message of {len(data)} bytes is larger than {MAX_MESSAGE}"
        try:
            message, _ = read_head(data[:min(end, MAX_MESSAGE)])
        except MalformedMessage:
            raise MalformedMessage(reason, 413) from None
        raise MalformedMessage(reason, 413, answerable(message))
    message, problem = read_head(data[:end])
    return complete(message, problem, data[end + skip:], datagram=True)
