"""What a person is told on joining, and again whenever they ask where they stand."""

from __future__ import annotations

from bot.flows.onboarding import ROLE_AS, ROLE_NAMES
from bot.services.enrolment import Joined
from bot.services.people import PersonView
from bot.text import Joined as JoinedText
from bot.text import Plain, T, Text, place_name

NEXT_STEPS = {
    # readers: parent
    "parent": T(
        "Next: with /report you can tell the school what you have done, such as activating "
        "VNeID or finishing a course on the “Bình dân học vụ số (Digital literacy for all)” "
        "platform; /progress shows what is left. Your class teacher will send notices here."
    ),
    # readers: student
    "student": T(
        "Next: with /report you can tell your school what you have achieved; /progress shows "
        "what is left. Your teachers will send notices here."
    ),
    # readers: staff
    "staff": T(
        "Next: /report for your own milestones, /class for your class's progress, and /invite "
        "to create invite links for the parents of your class."
    ),
    # readers: staff
    "principal": T(
        "Next: /review for evidence waiting for verification, /invite to create invite links for "
        "your staff, classes and parents, and /report for the school's own milestones."
    ),
    # readers: officer
    "dept_admin": T(
        "Next: /help shows what you can do. With /invite you can create invite links for the "
        "school leaders under your department."
    ),
}


def welcome(name: str, joined: Joined) -> Text:
    found = joined.preview
    if joined.became_head:
        # readers: staff
        return T(
            "You are now the head of {unit} ({school}). /report also offers the unit's own "
            "milestones.",
            unit=found.unit,
            school=found.school,
        )
    if not joined.new_membership:
        return T(
            "You are already {role} in {place}. Nothing has changed.",
            role=ROLE_AS[found.role],
            place=Plain(place_name(found.unit, found.school)),
        )
    intro = (
        T(
            "Welcome, {name}! You have joined {place} as {role}.",
            name=name,
            place=Plain(place_name(found.unit, found.school)),
            role=ROLE_AS[found.role],
        )
        if joined.new_person
        else T(
            "Done, {name}: you are now also {role} in {place}.",
            name=name,
            place=Plain(place_name(found.unit, found.school)),
            role=ROLE_AS[found.role],
        )
    )
    return JoinedText((intro, NEXT_STEPS[found.role]))


def where_you_stand(person: PersonView) -> Text:
    """For someone who has joined: where, as what, and what to do next (their newest role)."""
    if not person.memberships:
        return T("Welcome back, {name}! /help shows what you can do.", name=person.name)
    places = [
        JoinedText(
            (
                Plain(f"• {m.place} — "),
                ROLE_NAMES[m.role],
            ),
            sep="",
        )
        for m in person.memberships
    ]
    newest = person.memberships[-1].role
    title = T("You have joined, {name}. You take part as:", name=person.name)
    return JoinedText((JoinedText((title, *places), sep="\n"), NEXT_STEPS[newest]))
