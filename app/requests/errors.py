from app.core.errors import Conflict, Forbidden, NotFound


class RequestNotFound(NotFound):
    code = "request_not_found"
    title = "Request not found"


class CategoryNotFound(NotFound):
    code = "category_not_found"
    title = "Category not found"


class CategoryCodeTaken(Conflict):
    code = "category_code_taken"
    title = "A category with this code already exists"


class ActionForbidden(Forbidden):
    """The caller can see the request but is never the one to take this action."""

    code = "action_forbidden"
    title = "You may not take this action on this request"
