"""Provisioning: from a device's request to the locked-down configuration it receives."""
