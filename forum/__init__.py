"""Rembug's forum core: consultations, comments, aspirations, agencies, accounts and the web UI.

The core never imports ``bots``, ``search`` or ``moderation``; they subscribe to its events.
"""
