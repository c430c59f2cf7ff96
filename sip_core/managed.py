"""Only managed devices: whether the device registering a line is equipment the provider supplied for it.

Contract clause 7.2a: unlimited calls apply only to phones the provider supplies, configures and administers,
never to a PBX or a gateway behind an account. So a REGISTER's User-Agent must name the vendor and model of
the equipment carrying the line, and its MAC when the header carries one. A pure rule over plain values.
"""

from __future__ import annotations

from sip_core.directory import Agent, Device


def device_problem(agent: Agent | None, devices: tuple[Device, ...]) -> str | None:
    """Why this User-Agent is not one of `devices` (None: it is one of them)."""
    if not devices:
        return "no managed device carries this line"
    if agent is None:
        return "the User-Agent is not one of a supported vendor's phones"
    for device in devices:
        if device.vendor != agent.vendor:
            continue
        if agent.model and agent.model.lower() != device.model.lower():
            continue
        if agent.mac and device.mac and agent.mac.lower() != device.mac.lower():
            continue
        return None
    said = " ".join(part for part in (agent.vendor, agent.model, agent.mac) if part)
    expected = ", ".join(" ".join(part for part in (d.vendor, d.model, d.mac) if part) for d in devices)
    return f"the User-Agent says {said}; the line is carried by {expected}"
