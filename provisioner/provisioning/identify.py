"""Which vendor, file and device a provisioning request is about, from its path and User-Agent alone (no I/O).

Like wazo-provd's pipeline, each vendor module says what the request means to it; this module keeps
the answers that agree with each other. Anything doubtful is no answer: the caller then answers as for
a missing file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from provisioner.vendors.base import FileMatch, UserAgent, Vendor

#: A file name a device may ask for: no directories, no dots in front, a bounded length.
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
#: Directories a device may put in front of its file name (the provisioning URL's path).
MAX_PATH_SEGMENTS = 4


@dataclass(frozen=True)
class Identified:
    """One reading of a request: the vendor, what the file is, and what the User-Agent said (if anything)."""

    vendor: Vendor
    file: FileMatch
    user_agent: UserAgent | None


def file_name(path: str) -> str | None:
    """The file name at the end of a request path, or None when the path is not one a device would send."""
    segments = [s for s in path.split("?", 1)[0].split("/") if s]
    if not segments or len(segments) > MAX_PATH_SEGMENTS or any(s in (".", "..") for s in segments):
        return None
    name = segments[-1]
    return name if FILE_NAME.fullmatch(name) else None


def read_user_agent(header: str, vendors: Iterable[Vendor]) -> UserAgent | None:
    """The first vendor's reading of a User-Agent header."""
    if not header or len(header) > 512:
        return None
    for vendor in vendors:
        found = vendor.parse_user_agent(header)
        if found is not None:
            return found
    return None


def identify(path: str, user_agent_header: str, vendors: Iterable[Vendor]) -> list[Identified]:
    """Every consistent reading of a request; several only when the file name alone cannot tell vendors apart."""
    vendors = list(vendors)
    name = file_name(path)
    if name is None:
        return []
    agent = read_user_agent(user_agent_header, vendors)
    readings = []
    for vendor in vendors:
        if agent is not None and agent.vendor != vendor.name:
            continue
        match = vendor.match_file(name)
        if match is None:
            continue
        if agent is not None and agent.mac and match.mac and agent.mac != match.mac:
            continue  # a phone asking for another phone's file
        if agent is not None and agent.model and match.model and agent.model.lower() != match.model.lower():
            continue
        readings.append(Identified(vendor, match, agent))
    return readings
