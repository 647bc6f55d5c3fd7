"""Blueprint: privacy operations for admins (erasure, retention, pseudonymous references)."""

from app.privacy.views import bp

__all__ = ["bp"]
