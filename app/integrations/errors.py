"""Errors of the integrations domain: each with its status and a stable code."""

from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound, Unauthorized


class InvalidApiKey(Unauthorized):
    code = "invalid_api_key"
    title = "The API key is missing, unknown, revoked or its integration is inactive"


class IntegrationNotFound(NotFound):
    code = "integration_not_found"
    title = "Integration not found"


class IntegrationKeyNotFound(NotFound):
    code = "integration_key_not_found"
    title = "API key not found"


class IntegrationNameTaken(Conflict):
    code = "integration_name_taken"
    title = "An integration with this name already exists"


class WrongIntegrationKind(Forbidden):
    code = "wrong_integration_kind"
    title = "This route is for another kind of integration"


class WorkOrderNotFound(NotFound):
    code = "work_order_not_found"
    title = "Work order not found"


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"
    title = "Delivery not found"
