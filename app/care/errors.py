from app.core.errors import IllegalTransition, NotFound


class ElderNotFound(NotFound):
    code = "elder_not_found"
    title = "Elder not found"


class AlarmNotFound(NotFound):
    code = "alarm_not_found"
    title = "Alarm not found"


class IllegalAlarmTransition(IllegalTransition):
    code = "illegal_alarm_transition"
    title = "This action is not allowed in the alarm's current state"
