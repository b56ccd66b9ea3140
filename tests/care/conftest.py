from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
async def w(session, app) -> factories.World:  # type: ignore[no-untyped-def]
    return await factories.world(session, app)
