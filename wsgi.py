"""WSGI entry point: `gunicorn wsgi:app`."""
from gallery import create_app

app = create_app()
