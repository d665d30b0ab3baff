"""Celery tasks for reminders."""
