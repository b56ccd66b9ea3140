from __future__ import annotations

import pytest

from tests import factories
from tests.receiver import start_receiver


@pytest.fixture
async def w(session, app) -> factories.World:  # type: ignore[no-untyped-def]
    return await factories.world(session, app)


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    r = start_receiver()
    yield r
    r.close()
