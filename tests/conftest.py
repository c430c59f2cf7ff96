"""Fixtures shared by every test package.

Sections: storage (a database server per session, a fresh database per test).
Add new sections below with their own heading; keep package-specific fixtures
in that package's own conftest.py.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import mongoengine
import pytest
from pymongo.database import Database

from provisioner.embedded_db import EmbeddedDatabase

# --- storage ---------------------------------------------------------------

#: Set to a MongoDB URI to run the storage tests against a real MongoDB
#: (ideally a replica set, for transactions) instead of the embedded server.
MONGODB_URI_ENV = "PROVISIONER_TEST_MONGODB_URI"


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URI of the database server for this test session."""
    external = os.environ.get(MONGODB_URI_ENV)
    if external:
        yield external
        return
    with EmbeddedDatabase(tmp_path_factory.mktemp("embedded-db")) as database:
        yield database.uri


@pytest.fixture
def mongo_db(mongo_uri: str) -> Iterator[Database]:
    """A fresh, uniquely named database, also mongoengine's default connection."""
    name = f"t_{uuid.uuid4().hex[:8]}"
    # A test that failed half-way may have left "default" registered; connect()
    # refuses a second registration with different settings.
    mongoengine.disconnect(alias="default")
    mongoengine.connect(
        db=name,
        host=mongo_uri,
        alias="default",
        uuidRepresentation="standard",
        tz_aware=True,
    )
    # get_db() registers the database, so disconnect() below also drops the
    # collections that Document classes cached from this test's database.
    database = mongoengine.get_db(alias="default")
    try:
        yield database
    finally:
        database.client.drop_database(name)
        mongoengine.disconnect(alias="default")
