"""Bigger CLI commands, one module per area; registered in gallery/cli.py."""
