"""ASGI entry point for uvicorn (``forum.asgi:app``); settings come from the environment."""

from forum.app import create_app

app = create_app()
