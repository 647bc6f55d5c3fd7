"""Playbooks: the response library trainers edit and agents draw suggestions from."""
