"""hocvuso: a Telegram bot for Vietnam's school digital-literacy campaigns."""

from bot.lean_import import install as _lean_aiogram

_lean_aiogram()
