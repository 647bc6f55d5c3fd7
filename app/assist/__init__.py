"""Blueprint: the live assist panel an agent keeps beside the conversation."""

from app.assist.views import bp

__all__ = ["bp"]
