"""Transcripts on their way into storage: parsing (from the classifier) and redaction."""
