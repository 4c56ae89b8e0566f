"""Conversations declared as data, run by a pure engine (`bot.flows.engine`).

Nothing here imports aiogram or SQLAlchemy: a flow step takes the person's
input and returns the next state plus effects (replies with choices, records
to write). Handlers turn updates into inputs and render the effects.
"""
