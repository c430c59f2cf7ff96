"""RFC 3261 §18.1.1 over real sockets: a request too large for UDP goes over TCP to the same address, its Via
saying so, and over UDP after all when no TCP connection can be made."""

from __future__ import annotations

import asyncio
import socket

from sipp_runner import REALM, account, make_core

from sip_core.message import Request, new_branch
from sip_core.peer import Peer
from sip_core.transaction import UDP_LIMIT


def message(size: int, via_port: int) -> Request:
    request = Request("MESSAGE", f"sip:u1002@{REALM}")
    for name, value in (("Via", f"SIP/2.0/UDP 127.0.0.1:{via_port};branch={new_branch()};rport"),
                        ("Max-Forwards", "70"), ("From", f"<sip:u1001@{REALM}>;tag=a1"), ("To", f"<sip:u1002@{REALM}>"),
                        ("Call-ID", new_branch()), ("CSeq", "1 MESSAGE"), ("Content-Type", "text/plain")):
        request.add_header(name, value)
    request.body = b"x" * size
    return request


def udp_and_tcp_port() -> tuple[socket.socket, int]:
    """A UDP socket bound on 127.0.0.1 to a port that TCP has free too (the peer may listen on both)."""
    for _ in range(50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                udp.close()
                continue
        udp.setblocking(False)
        return udp, port
    raise RuntimeError("no port free for both UDP and TCP")


async def send_and_listen(size: int, tcp_listener: bool) -> tuple[bytes, bytes]:
    """Send a MESSAGE of `size` body bytes to a peer on UDP port P (and TCP P when `tcp_listener`); what each got."""
    core, _ = make_core([account(1001), account(1002)])
    addresses = await core.start("127.0.0.1", 0, 0)
    udp, port = udp_and_tcp_port()
    got_tcp = bytearray()

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while not got_tcp.endswith(b"x" * size):  # the whole message, however the stream cuts it
            chunk = await asyncio.wait_for(reader.read(65536), 2)
            if not chunk:
                break
            got_tcp.extend(chunk)
        writer.close()

    server = await asyncio.start_server(on_connection, "127.0.0.1", port) if tcp_listener else None
    loop = asyncio.get_running_loop()
    try:
        core.transactions.send_request(message(size, addresses["udp"][1]), Peer("udp", "127.0.0.1", port),
                                       lambda response: None)
        try:
            got_udp = await asyncio.wait_for(loop.sock_recv(udp, 65536), 2)
        except asyncio.TimeoutError:
            got_udp = b""
        for _ in range(40):  # the TCP side, bounded
            if got_tcp.endswith(b"x" * size) or not tcp_listener:
                break
            await asyncio.sleep(0.05)
        return bytes(got_tcp), got_udp
    finally:
        if server is not None:
            server.close()
        udp.close()
        core.stop()


def run(size: int, tcp_listener: bool) -> tuple[bytes, bytes]:
    return asyncio.run(asyncio.wait_for(send_and_listen(size, tcp_listener), 20))


def test_a_small_request_goes_over_udp():
    tcp, udp = run(200, tcp_listener=True)
    assert tcp == b"" and udp.startswith(b"MESSAGE ") and b"Via: SIP/2.0/UDP " in udp


def test_a_request_too_large_for_udp_goes_over_tcp_its_via_saying_so():
    tcp, udp = run(UDP_LIMIT, tcp_listener=True)
    assert udp == b""
    assert tcp.startswith(b"MESSAGE ") and b"Via: SIP/2.0/TCP " in tcp and tcp.endswith(b"x" * UDP_LIMIT)


def test_without_a_tcp_listener_the_large_request_goes_over_udp_after_all():
    tcp, udp = run(UDP_LIMIT, tcp_listener=False)
    assert tcp == b""
    assert udp.startswith(b"MESSAGE ") and b"Via: SIP/2.0/UDP " in udp and udp.endswith(b"x" * UDP_LIMIT)
