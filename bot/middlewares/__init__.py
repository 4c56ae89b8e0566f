"""Update middlewares, outermost first (see `bot.app.build_app`): flood guard, conversation
lock and state (aiogram's), unit of work and replies, then the turn (who, language, when)."""
