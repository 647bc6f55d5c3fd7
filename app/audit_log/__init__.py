"""Blueprint: the audit trail for admins, filtered in the query string and exported as CSV."""

from app.audit_log.views import bp

__all__ = ["bp"]
