from __future__ import annotations

import pytest

from app.requests.router import categories_router
from tests import factories


@pytest.fixture(scope="session", autouse=True)
def _categories_routes(app) -> None:  # type: ignore[no-untyped-def]
    """Until app/main.py includes ``categories_router``, include it here (once) so the category tests run."""
    if not any(getattr(r, "path", "") == "/api/v1/categories" for r in app.routes):
        app.include_router(categories_router)
        app.openapi_schema = None


@pytest.fixture
async def w(session, app) -> factories.World:  # type: ignore[no-untyped-def]
    return await factories.world(session, app)
