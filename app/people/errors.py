from app.core.errors import Conflict, NotFound


class UsernameTaken(Conflict):
    code = "username_taken"
    title = "This username is already taken"


class StaffNotFound(NotFound):
    code = "staff_not_found"
    title = "Staff member not found"


class ResidentNotFound(NotFound):
    code = "resident_not_found"
    title = "Resident not found"
