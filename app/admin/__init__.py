"""Blueprint: administration of users and API tokens."""

from app.admin.views import bp

__all__ = ["bp"]
