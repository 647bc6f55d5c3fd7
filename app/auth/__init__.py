"""Accounts and access: logging in and out, roles, API tokens."""

from app.auth.views import bp

__all__ = ["bp"]
