"""Celery tasks for documents."""
