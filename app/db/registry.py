"""Imports every models module so ``Base.metadata`` is complete (for Alembic and the tests)."""

from app.areas import models as areas_models  # noqa: F401
from app.audit import models as audit_models  # noqa: F401
from app.care import models as care_models  # noqa: F401
from app.db.base import Base
from app.integrations import models as integrations_models  # noqa: F401
from app.people import models as people_models  # noqa: F401
from app.reports import models as reports_models  # noqa: F401
from app.requests import models as requests_models  # noqa: F401
from app.routing import models as routing_models  # noqa: F401
from app.sla import models as sla_models  # noqa: F401
from app.volunteers import models as volunteers_models  # noqa: F401
from app.webhooks import models as webhooks_models  # noqa: F401

metadata = Base.metadata
