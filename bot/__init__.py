"""hocvuso: a Telegram bot for Vietnam's school digital-literacy campaigns."""
