"""Celery tasks for letters."""
