from app.core.errors import IllegalTransition, NotFound


class VolunteerNotFound(NotFound):
    code = "volunteer_not_found"
    title = "Volunteer not found"


class TeamNotFound(NotFound):
    code = "volunteer_team_not_found"
    title = "Volunteer team not found"


class TaskNotFound(NotFound):
    code = "volunteer_task_not_found"
    title = "Volunteer task not found"


class IllegalTaskTransition(IllegalTransition):
    code = "illegal_task_transition"
    title = "This action is not allowed in the task's current state"
