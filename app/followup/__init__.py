"""Closing the loop: detractor follow-ups and survey governance."""
