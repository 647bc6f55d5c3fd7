"""Playbooks: the response library trainers edit and agents draw suggestions from."""

from app.playbooks.views import bp

__all__ = ["bp"]
