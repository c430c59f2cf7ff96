"""The benchmark's SIP accounts: one deterministic list, written in every form a registrar under test needs.

Account ``i`` (0-based) is username ``u%05d`` with password ``pw-%05d`` (``u00000``/``pw-00000`` ..
``u09999``/``pw-09999`` for 10,000 accounts), in one realm (``--realm``, default ``bench.sip``). Written as:

* ``accounts.csv``: ``username;password;realm;ha1;extension;number`` with a header line, for a registrar of
  ours to load (ha1 is ``MD5(username:realm:password)``, RFC 7616's H(A1) for MD5; extension and number are
  empty but for the lines the call benchmark calls, see `make_callees`);
* sipp injection files (``SEQUENTIAL`` then ``username;[authentication username=... password=...];realm``
  per line), optionally split into N slices (account i goes to slice ``i % N``) for N sipp processes.
  The ``[authentication ...]`` keyword is a field of its own because sipp substitutes ``[fieldN]`` inside
  another keyword's parameters too late: ``[authentication username=[field0] password=[field1]]`` sends
  a broken header;
* Kamailio db_text tables: ``subscriber`` (version 7: id, username, domain, password, ha1, ha1b; every
  column filled, since db_text refuses a row with an empty non-null column), ``htable`` (version 2: one
  key per username whose value is its ha1, for the htable variant) and ``version``.

Also a command line, to hand the same accounts to a registrar started by hand::

    python bench/sip/sip_accounts.py --accounts 10000 --realm bench.sip --out /tmp/accounts.csv
"""

from __future__ import annotations

import argparse
import hashlib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_REALM = "bench.sip"


@dataclass(frozen=True)
class Account:
    """One SIP account of the benchmark."""

    username: str
    password: str
    realm: str
    extension: str = ""  # what a caller of the same customer dials to reach the line ("" = none)
    number: str = ""  # E.164 ("" = none)

    @property
    def ha1(self) -> str:
        """MD5(username:realm:password), the digest's H(A1)."""
        return hashlib.md5(f"{self.username}:{self.realm}:{self.password}".encode()).hexdigest()

    @property
    def ha1b(self) -> str:
        """MD5(username@realm:realm:password), Kamailio's ha1b column (username with a domain)."""
        return hashlib.md5(f"{self.username}@{self.realm}:{self.realm}:{self.password}".encode()).hexdigest()


def make_accounts(count: int, realm: str = DEFAULT_REALM) -> list[Account]:
    """The first `count` accounts of the benchmark, in `realm`."""
    return [Account(f"u{i:05d}", f"pw-{i:05d}", realm) for i in range(count)]


def make_callees(count: int, realm: str = DEFAULT_REALM) -> list[Account]:
    """The lines called by the call benchmark: ``c00000``/``pw-c00000``..., extension ``2xxxx``, number ``+33190xxxxxx``."""
    if count > 80_000:
        raise ValueError(f"at most 80,000 callees (five-digit extensions from 20000), got {count}")
    return [Account(f"c{i:05d}", f"pw-c{i:05d}", realm, str(20_000 + i), f"+33190{i:06d}") for i in range(count)]


def write_accounts_csv(accounts: list[Account], path: Path) -> Path:
    """Write the plain list (username;password;realm;ha1;extension;number, header first) that a registrar of ours loads."""
    lines = ["username;password;realm;ha1;extension;number"]
    lines += [f"{a.username};{a.password};{a.realm};{a.ha1};{a.extension};{a.number}" for a in accounts]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_sipp_injection(accounts: list[Account], folder: Path, slices: int = 1) -> list[Path]:
    """Write `slices` sipp injection files (account i in slice i % slices) and return their paths."""
    paths = []
    for k in range(slices):
        lines = ["SEQUENTIAL"]
        lines += [
            f"{a.username};[authentication username={a.username} password={a.password}];{a.realm}"
            for a in accounts[k::slices]
        ]
        path = folder / f"sipp_accounts_{k}_of_{slices}.csv"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths


def write_kamailio_db(accounts: list[Account], folder: Path) -> Path:
    """Write the db_text database (version, subscriber, htable tables) into `folder` and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "version").write_text(
        "id(int,auto) table_name(string) table_version(int) \n0:version:1\n0:subscriber:7\n0:htable:2\n"
    )
    subscriber = ["id(int,auto) username(string) domain(string) password(string) ha1(string) ha1b(string) "]
    subscriber += [f"{i + 1}:{a.username}:{a.realm}:{a.password}:{a.ha1}:{a.ha1b}" for i, a in enumerate(accounts)]
    (folder / "subscriber").write_text("\n".join(subscriber) + "\n")
    htable = ["id(int,auto) key_name(string) key_type(int) value_type(int) key_value(string) expires(int) "]
    htable += [f"{i + 1}:{a.username}:0:0:{a.ha1}:0" for i, a in enumerate(accounts)]
    (folder / "htable").write_text("\n".join(htable) + "\n")
    return folder


def main(argv: list[str] | None = None) -> int:
    """Write accounts.csv for a registrar started by hand."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000, help="how many accounts (default 10000)")
    parser.add_argument("--realm", default=DEFAULT_REALM, help=f"digest realm (default {DEFAULT_REALM})")
    parser.add_argument("--out", type=Path, required=True, help="where to write username;password;realm;ha1")
    args = parser.parse_args(argv)
    write_accounts_csv(make_accounts(args.accounts, args.realm), args.out)
    print(f"{args.accounts} accounts in realm {args.realm!r} written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
