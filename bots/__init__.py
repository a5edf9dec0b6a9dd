"""Chat channels (Telegram, WhatsApp) sharing one conversation core; subscribes to forum events."""
