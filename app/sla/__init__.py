"""SLA: targets, business calendars (calendar.py), timers and escalation."""
