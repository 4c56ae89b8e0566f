"""Domain services: enrolment, people, invites, campaigns. No aiogram here."""
