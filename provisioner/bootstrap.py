"""The first start: an administrator account, with a one-time password unless the installer gave one."""

from __future__ import annotations

import os
from typing import Mapping

from inventory.errors import DuplicateValue
from inventory.events import Actor
from inventory.passwords import check_password_policy, hash_password, one_time_password
from inventory.staff import User
from provisioner.settings import ConfigError

ENV_ADMIN_PASSWORD = "PROVISIONER_ADMIN_PASSWORD"
ADMIN_USERNAME = "admin"


def create_first_admin(environ: Mapping[str, str] = os.environ) -> str | None:
    """Create `admin` when there is no user at all; returns the generated one-time password, if any.

    With PROVISIONER_ADMIN_PASSWORD set, that password is used and need not be changed (automated
    installs); otherwise a random one is returned for printing once and must be changed at first use.
    Raises ConfigError when the given password breaks the policy.
    """
    if User.objects.limit(1).count(with_limit_and_skip=True):
        return None
    given = environ.get(ENV_ADMIN_PASSWORD, "")
    if given:
        try:
            check_password_policy(given)
        except ValueError as exc:  # the installer's mistake: a one-line error, not a traceback
            raise ConfigError([f"{ENV_ADMIN_PASSWORD}: {exc} (environment variable)"]) from None
    password = given or one_time_password()
    user = User(username=ADMIN_USERNAME, display_name="Administrator", roles=["admin"],
                password_hash=hash_password(password), must_change_password=not given)
    try:
        user.insert(Actor.system("first-start"))
    except DuplicateValue:  # another server process of the cluster created it first
        return None
    return None if given else password
