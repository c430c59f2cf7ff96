"""The core over raw UDP and TCP sockets: hostile bytes, retransmissions, bans, scanners, sweeps, and a NAT'd site."""

from __future__ import annotations

import asyncio
import hashlib
import re
import socket

import pytest
from sipp_runner import REALM, YEALINK_AGENT, account, make_core

from sip_core.core import SipCore
from sip_core.recorder import MemoryRecorder

T46U = YEALINK_AGENT


class Client:
    """A UDP socket on 127.0.0.1 talking to the core; every wait is bounded."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    async def ask(self, data: bytes, wait: float = 1.0) -> str | None:
        loop = asyncio.get_running_loop()
        await loop.sock_sendto(self.sock, data, self.target)
        try:
            return (await asyncio.wait_for(loop.sock_recv(self.sock, 65535), wait)).decode("utf-8", "replace")
        except asyncio.TimeoutError:
            return None

    def close(self) -> None:
        self.sock.close()


def register(client: Client, user: str = "u1001", cseq: int = 1, branch: str | None = None, agent: str = T46U,
             authorization: str | None = None, call_id: str = "call-1", expires: int = 300) -> bytes:
    lines = [f"REGISTER sip:{REALM} SIP/2.0",
             f"Via: SIP/2.0/UDP 127.0.0.1:{client.port};branch={branch or f'z9hG4bK-{user}-{cseq}'};rport",
             f"From: <sip:{user}@{REALM}>;tag=f{cseq}", f"To: <sip:{user}@{REALM}>", f"Call-ID: {call_id}",
             f"CSeq: {cseq} REGISTER", f"Contact: <sip:{user}@127.0.0.1:{client.port}>", f"Expires: {expires}",
             f"User-Agent: {agent}", "Max-Forwards: 70"]
    if authorization:
        lines.append(f"Authorization: {authorization}")
    return ("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode()


def answer(challenge: str, user: str, password: str, algorithm: str = "MD5", nc: str = "00000001") -> str:
    """The Authorization value answering the challenge with `algorithm`."""
    nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
    digest = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}[algorithm]
    ha1 = digest(f"{user}:{REALM}:{password}".encode()).hexdigest()
    ha2 = digest(f"REGISTER:sip:{REALM}".encode()).hexdigest()
    response = digest(f"{ha1}:{nonce}:{nc}:c0ffee:auth:{ha2}".encode()).hexdigest()
    return (f'Digest username="{user}", realm="{REALM}", nonce="{nonce}", uri="sip:{REALM}", response="{response}", '
            f'algorithm={algorithm}, qop=auth, nc={nc}, cnonce="c0ffee"')


def status(text: str | None) -> int | None:
    return int(text.split(" ", 2)[1]) if text else None


def run(scenario, accounts=None, **config) -> tuple[SipCore, MemoryRecorder]:
    """Start a core, run `scenario(core, client)`, stop; the core and its recorder for the checks after."""
    core, recorder = make_core(accounts or [account(1001), account(1002)], **config)

    async def main():
        address = (await core.start("127.0.0.1", 0, 0))
        core.tcp_address = address["tcp"]
        client = Client(address["udp"])
        try:
            await scenario(core, client)
        finally:
            client.close()
            core.stop()

    asyncio.run(asyncio.wait_for(main(), 30))
    return core, recorder


# -- hostile input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("data, expected", [
    (b"\x00\xff garbage \r\n\r\n", None),  # not SIP: dropped
    (b"", None),
    (b"\r\n\r\n", None),  # a keep-alive
    (b"REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKa\r\n\r\n", None),  # no Call-ID: dropped
    (b"REGISTER sip:x SIP/3.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKb\r\nCall-ID: a\r\nCSeq: 1 REGISTER\r\n"
     b"From: <sip:a@x>;tag=1\r\nTo: <sip:a@x>\r\n\r\n", 505),
    (b"REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKc\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n"
     b"From: <sip:a@x>;tag=1\r\nTo: <sip:a@x>\r\n\r\n", 400),
    (b"REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKd\r\nCall-ID: a\r\nCSeq: 1 REGISTER\r\n"
     b"From: <sip:a@x>;tag=1\r\nTo: <sip:a@x>\r\nContent-Length: 500\r\n\r\nshort", 400),
    (b"REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKe\r\nCall-ID: a\r\nCSeq: 1 REGISTER\r\n"
     b"From: <sip:a@x>;tag=1\r\nTo: <sip:a@x>\r\nSubject: \xff\xfe\r\n\r\n", 400),
    (b"REGISTER http://x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKf\r\nCall-ID: a\r\nCSeq: 1 REGISTER\r\n"
     b"From: <sip:a@x>;tag=1\r\nTo: <sip:a@x>\r\n\r\n", 416),
    (b"FROBNICATE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKg\r\nCall-ID: a\r\nCSeq: 1 FROBNICATE\r\n"
     b"From: <sip:a@x>;tag=1\r\nTo: <sip:a@x>\r\n\r\n", 501),
    (b"REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKh\r\nCall-ID: a\r\nCSeq: 1 REGISTER\r\n"
     b"From: <sip:a@x>;tag=1\r\nTo: <sip:a@x>\r\nContact: <sip:a@x>;expires=soon\r\n\r\n", 401),  # auth comes first
    (b"REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKi\r\nCall-ID: a\r\nCSeq: 1 REGISTER\r\n"
     b"From: <sip:a@x>;tag=1\r\nTo: <sip:a@x>\r\nAuthorization: Digest garbage\r\n\r\n", 400),
])
def test_hostile_datagrams_get_a_clear_answer_or_none_and_the_core_goes_on(data, expected):
    async def scenario(core, client):
        assert status(await client.ask(data, wait=0.3)) == expected
        # the core still answers a well-formed request afterwards
        assert status(await client.ask(register(client))) == 401

    run(scenario)


def test_an_oversized_message_on_a_stream_gets_413_and_the_connection_closes():
    """A datagram cannot pass the 65,535-byte cap (UDP's own limit is lower); a stream can, and is cut off."""
    async def scenario(core, client):
        reader, writer = await asyncio.open_connection(*core.tcp_address)
        request = register(client).replace(b"SIP/2.0/UDP", b"SIP/2.0/TCP")
        writer.write(request.replace(b"Content-Length: 0", b"Content-Length: 70000") + b"x" * 70_000)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
        assert head.startswith(b"SIP/2.0 413")
        assert await asyncio.wait_for(reader.read(), 2) == b""
        writer.close()

    run(scenario)


def test_a_datagram_of_the_largest_size_udp_carries_is_answered():
    async def scenario(core, client):
        big = register(client).replace(b"Max-Forwards: 70", b"X-Padding: " + b"a" * 65_000 + b"\r\nMax-Forwards: 70")
        assert status(await client.ask(big[:65_507])) in (400, 401)

    run(scenario)


def test_compact_and_folded_headers_register():
    async def scenario(core, client):
        lines = (f"REGISTER sip:{REALM} SIP/2.0\r\nv: SIP/2.0/UDP 127.0.0.1:{client.port};branch=z9hG4bK-cf;rport\r\n"
                 f"f: <sip:u1001@{REALM}>;tag=1\r\nt:\r\n <sip:u1001@{REALM}>\r\ni: compact-1\r\nCSeq: 1 REGISTER\r\n"
                 f"m: <sip:u1001@127.0.0.1:{client.port}>\r\nUser-Agent: {T46U}\r\nl: 0\r\n\r\n").encode()
        challenge = await client.ask(lines)
        assert status(challenge) == 401
        authorization = answer(challenge, "u1001", "secret-pass", "SHA-256")
        second = lines.replace(b"CSeq: 1", b"CSeq: 2").replace(b"z9hG4bK-cf", b"z9hG4bK-cf2").replace(
            b"l: 0", f"Authorization: {authorization}\r\nl: 0".encode())
        assert status(await client.ask(second)) == 200

    core, _ = run(scenario, digest_algorithms=("SHA-256", "MD5"))
    assert len(core.location.bindings("u1001", core.clock())) == 1


def test_stream_framing_over_tcp_with_a_ping_and_a_missing_content_length():
    async def scenario(core, client):
        reader, writer = await asyncio.open_connection(*core.tcp_address)
        request = register(client).replace(b"SIP/2.0/UDP", b"SIP/2.0/TCP")
        writer.write(b"\r\n\r\n" + request[:50])  # a ping, then half a message
        assert await asyncio.wait_for(reader.readexactly(2), 2) == b"\r\n"
        writer.write(request[50:])
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
        assert head.startswith(b"SIP/2.0 401")
        writer.write(request.replace(b"Content-Length: 0\r\n", b""))  # no Content-Length on a stream: 400, closed
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
        assert head.startswith(b"SIP/2.0 400") and b"Content-Length" in head
        assert await asyncio.wait_for(reader.read(), 2) == b""
        writer.close()

    run(scenario)


# -- transactions ---------------------------------------------------------------------------------------


def test_a_retransmitted_register_gets_the_same_answer_without_a_second_run():
    async def scenario(core, client):
        challenge = await client.ask(register(client, cseq=1))
        authorization = answer(challenge, "u1001", "secret-pass")
        request = register(client, cseq=2, authorization=authorization)
        first = await client.ask(request)
        assert status(first) == 200
        again = await client.ask(request)  # the 200 was "lost": the phone sends the same request again
        assert again == first  # not a 401 stale (the nonce count was used): the transaction answered it
        assert len(core.transactions.completed) == 2

    run(scenario)


def test_a_replayed_answer_in_a_new_transaction_is_challenged_as_stale():
    async def scenario(core, client):
        challenge = await client.ask(register(client, cseq=1))
        authorization = answer(challenge, "u1001", "secret-pass")
        assert status(await client.ask(register(client, cseq=2, authorization=authorization))) == 200
        replay = await client.ask(register(client, cseq=3, authorization=authorization))
        assert status(replay) == 401 and "stale=true" in replay
        fresh = answer(challenge, "u1001", "secret-pass", nc="00000002")  # the next count of the same nonce is fine
        assert status(await client.ask(register(client, cseq=4, authorization=fresh))) == 200

    run(scenario)


def test_rport_and_received_are_written_into_the_answers_via():
    async def scenario(core, client):
        data = register(client).replace(f"127.0.0.1:{client.port};".encode(), b"10.9.8.7:5060;")
        reply = await client.ask(data)
        via = next(line for line in reply.split("\r\n") if line.startswith("Via:"))
        assert f"rport={client.port}" in via and "received=127.0.0.1" in via

    run(scenario)


# -- guards ---------------------------------------------------------------------------------------------


def test_a_scanner_gets_no_answer_and_its_address_is_banned():
    async def scenario(core, client):
        assert await client.ask(register(client, agent="friendly-scanner"), wait=0.3) is None
        assert await client.ask(register(client, cseq=2), wait=0.3) is None  # banned now, even as a Yealink

    _, recorder = run(scenario)
    assert [sign.kind for sign in recorder.signs] == ["scanner"]


def test_repeated_wrong_passwords_ban_the_address():
    async def scenario(core, client):
        for cseq in range(1, 21, 2):
            challenge = await client.ask(register(client, cseq=cseq))
            assert status(challenge) == 401
            wrong = answer(challenge, "u1001", "guess")
            assert status(await client.ask(register(client, cseq=cseq + 1, authorization=wrong))) == 403
        assert await client.ask(register(client, cseq=99), wait=0.3) is None

    _, recorder = run(scenario, max_auth_failures=10)
    assert len(recorder.failures) == 10
    assert [sign.kind for sign in recorder.signs] == ["auth failures"]


def test_a_site_with_registered_phones_is_not_banned_by_one_misconfigured_phone():
    """Phones behind one NAT share its address: the failing account is shut out there, the others go on."""
    async def scenario(core, client):
        challenge = await client.ask(register(client, "u1002", cseq=1, call_id="good"))
        good = answer(challenge, "u1002", "secret-pass")
        assert status(await client.ask(register(client, "u1002", cseq=2, call_id="good", authorization=good))) == 200
        for cseq in range(1, 25, 2):
            challenge = await client.ask(register(client, cseq=cseq))
            if challenge is None:
                break
            await client.ask(register(client, cseq=cseq + 1, authorization=answer(challenge, "u1001", "guess")))
        assert await client.ask(register(client, "u1001", cseq=90), wait=0.3) is None  # that account, from there
        challenge = await client.ask(register(client, "u1002", cseq=3, call_id="good"))  # the site's other phone
        assert status(challenge) == 401
        refresh = answer(challenge, "u1002", "secret-pass")
        assert status(await client.ask(register(client, "u1002", cseq=4, call_id="good", authorization=refresh))) == 200

    _, recorder = run(scenario, max_auth_failures=10)
    assert "auth failures" not in [sign.kind for sign in recorder.signs]


def test_an_options_sweep_is_banned_but_a_single_options_is_answered():
    def options(client, user, n):
        return (f"OPTIONS sip:{user}@{REALM} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{client.port};branch=z9hG4bK-o{n}\r\n"
                f"From: <sip:probe@{REALM}>;tag=o\r\nTo: <sip:{user}@{REALM}>\r\nCall-ID: o{n}\r\nCSeq: 1 OPTIONS\r\n"
                f"Content-Length: 0\r\n\r\n").encode()

    async def scenario(core, client):
        assert status(await client.ask(options(client, "100", 0))) == 200
        answers = [await client.ask(options(client, str(100 + n), n), wait=0.2) for n in range(1, 30)]
        assert answers[-1] is None and status(answers[0]) == 200

    _, recorder = run(scenario, sweep_users=20)
    assert [sign.kind for sign in recorder.signs] == ["sweep"]
