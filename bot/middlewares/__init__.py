"""Update middlewares, outermost first: flood guard, unit of work, person, locale."""
