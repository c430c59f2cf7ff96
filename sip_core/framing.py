"""Messages cut out of a TCP or TLS byte stream (RFC 3261 §18.3), and the RFC 5626 keep-alive pings between them.

Keep-alives: each ``\\r\\n\\r\\n`` ping between messages is reported as `PING`, which the caller answers with a
``\\r\\n`` pong (RFC 5626 section 4.4.1); a lone ``\\r\\n`` (a pong) is dropped.
"""

from __future__ import annotations

from sip_core.message import MAX_MESSAGE, MalformedMessage, Request, Response, answerable
from sip_core.parsing import complete, declared_length, read_head

__all__ = ["PING", "Ping", "StreamFramer"]


class Ping:
    """The RFC 5626 keep-alive ping (a CRLF pair between messages on a stream); answer it with CRLF."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "PING"


#: The one `Ping`, as reported by `StreamFramer.feed`.
PING = Ping()


class StreamFramer:
    """Cuts a TCP or TLS byte stream into messages by their Content-Length (RFC 3261 section 18.3).

    Once it cannot tell where the next message starts (garbage, no Content-Length, too long a message)
    it reports the error, sets `broken` and ignores the rest: the caller answers if it can and closes.
    A run of line ends between messages holding a ``\r\n\r\n`` is reported as one `PING`. Heads must end
    with CRLF CRLF here (bare LF is tolerated only in datagrams).
    """

    def __init__(self, max_message: int = MAX_MESSAGE) -> None:
        self.max_message = max_message
        self.broken = False
        self._buffer = bytearray()
        self._searched = 0  # where the search for the end of the head resumes
        self._pending: tuple[Request | Response, tuple[str, int] | None, int, int] | None = None

    def feed(self, data: bytes) -> list[Request | Response | MalformedMessage | Ping]:
        """The messages, errors and pings that `data` completes, in order."""
        if self.broken:
            return []
        self._buffer += data
        found: list[Request | Response | MalformedMessage | Ping] = []
        while self._buffer and not self.broken:
            item = self._next()
            if item is None:
                break
            if item is not _AGAIN:
                found.append(item)
        return found

    def _next(self) -> Request | Response | MalformedMessage | Ping | object | None:
        """The next item, _AGAIN after dropping CRLFs, or None while more bytes are needed."""
        buffer = self._buffer
        if self._pending is None:
            if buffer[0] in b"\r\n":  # between messages: pings, pongs, or stray line ends
                run = 1
                while run < len(buffer) and buffer[run] in b"\r\n":
                    run += 1
                crlfs = bytes(buffer[:run])
                if run == len(buffer) and run < 4 and b"\r\n\r\n".startswith(crlfs):  # maybe half a ping: wait
                    return None
                del buffer[:run]
                return PING if b"\r\n\r\n" in crlfs else _AGAIN
            end = buffer.find(b"\r\n\r\n", self._searched)
            if end < 0 or end + 4 > self.max_message:
                if len(buffer) > self.max_message:
                    return self._break(MalformedMessage(f"headers longer than {self.max_message} bytes", 413))
                self._searched = max(0, len(buffer) - 3)  # so a head fed byte by byte is not searched again and again
                return None
            self._searched = 0
            try:
                message, problem = read_head(bytes(buffer[:end]))
            except MalformedMessage as error:
                return self._break(error)
            try:
                length = declared_length(message.headers)
            except MalformedMessage as error:
                return self._break(MalformedMessage(error.reason, 400, answerable(message)))
            if length is None:
                return self._break(MalformedMessage("missing Content-Length header (required on TCP and TLS)",
                                                    400, answerable(message)))
            total = end + 4 + length
            if total > self.max_message:
                return self._break(MalformedMessage(f"message of {total} bytes is larger than {self.max_message}",
                                                    413, answerable(message)))
            self._pending = (message, problem, end + 4, total)
        message, problem, start, total = self._pending
        if len(buffer) < total:
            return None
        body = bytes(buffer[start:total])
        del buffer[:total]
        self._pending = None
        try:
            return complete(message, problem, body, datagram=False)
        except MalformedMessage as error:
            return error

    def _break(self, error: MalformedMessage) -> MalformedMessage:
        self.broken = True
        self._buffer.clear()
        return error


_AGAIN = object()
