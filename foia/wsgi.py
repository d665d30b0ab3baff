"""WSGI entry point (gunicorn foia.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foia.settings")
application = get_wsgi_application()
