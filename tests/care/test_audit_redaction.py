"""The audit trail records that health data changed, never the data itself."""

from __future__ import annotations

from app.audit.listener import _changes
from app.care.models import CareRecord, Elder
from app.people.models import Account


def test_sensitive_columns_are_redacted_in_the_audit_trail():
    elder = Elder(resident_id=1, birth_year=1949, conditions=["高血压"], emergency_contacts=[{"phone": "139"}],
                  vital_thresholds={"heart_rate": [50, 110]})
    changes = _changes(elder, only_modified=False)
    assert changes["conditions"] == changes["emergency_contacts"] == changes["vital_thresholds"] == "(redacted)"
    assert changes["birth_year"] == 1949
    record = CareRecord(elder_id=1, kind="visit", notes="血压偏高", systolic=170, diastolic=95, heart_rate=88)
    assert {k: v for k, v in _changes(record, only_modified=False).items() if v == "(redacted)"}.keys() == {
        "notes", "systolic", "diastolic", "heart_rate"
    }
    account = Account(username="x", password_hash="secret-hash", kind="staff")
    assert _changes(account, only_modified=False)["password_hash"] == "(redacted)"
