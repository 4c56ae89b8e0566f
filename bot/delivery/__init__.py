"""Sending: replies held until their update commits (`replies`), at Telegram's pace (`pace`)."""
