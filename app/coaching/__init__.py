"""Coaching: dashboards, agent pages and notes; stats.py holds the pure statistics."""
