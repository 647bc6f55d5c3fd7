"""Blueprint: the JSON API under /api/v1, authenticated with bearer tokens."""

from app.api.views import bp

__all__ = ["bp"]
