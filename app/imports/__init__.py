"""Blueprint and services: getting interactions and surveys in from other systems."""

from app.imports.views import bp

__all__ = ["bp"]
