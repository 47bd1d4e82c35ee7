"""The buttons on pushed messages: `act:<action>:<fields>`, made by pushes, read by the actions.

They are not among the options of anyone's open question, so each action checks for itself that
the match or opportunity its button names belongs to the person pressing.
"""

from __future__ import annotations

from engine.steps import ACTION_PREFIX as PREFIX

OFFER = "offer"  # act:offer:yes:<match> / act:offer:no:<match>
MATCH = "match"  # act:match:cancel:<match>
HOURS = "hours"  # act:hours:<match>:<hours or no>
FEEDBACK = "feedback"  # act:feedback:<match>:<good or problem>
SETTINGS = "settings"  # act:settings
INTEREST = "interest"  # act:interest:<opportunity>
CASE = "case"  # act:case:<case>: open a case of the agency's queue (its staff only)
ANSWER = "answer"  # act:answer: write back to the agency
RELAY = "relay"  # act:relay:write:<relay> / act:relay:report:<relay message>
CONFIRM = "confirm"  # act:confirm:<match>:<yes or no>: the volunteer comes, the day before
EVENT = "event"  # act:event:show:<event> / act:event:cancel:<signup>
NEWS = "news"  # act:news:stop:<kind of news>
TALK = "talk"  # act:talk: write to the coordinators about a difficult help
DOCUMENT = "document"  # act:document:<document>: send a document of the shelf
# act:crisis:yes:<call> / act:crisis:no:<call> / act:crisis:cancel:<call> / act:crisis:off, and
# for a group's scout act:crisis:write:<group> / act:crisis:arrived:<group>
CRISIS = "crisis"

YES, NO = "yes", "no"
ACCEPT = f"{PREFIX}{OFFER}:{YES}:"
DECLINE = f"{PREFIX}{OFFER}:{NO}:"
CANCEL_MATCH = f"{PREFIX}{MATCH}:cancel:"
REPORT_HOURS = f"{PREFIX}{HOURS}:"
GIVE_FEEDBACK = f"{PREFIX}{FEEDBACK}:"
OFFER_SETTINGS = f"{PREFIX}{SETTINGS}"
INTERESTED = f"{PREFIX}{INTEREST}:"
OPEN_CASE = f"{PREFIX}{CASE}:"
ANSWER_AGENCY = f"{PREFIX}{ANSWER}"
WRITE_RELAY = f"{PREFIX}{RELAY}:write:"
REPORT_RELAYED = f"{PREFIX}{RELAY}:report:"
CONFIRM_COMING = f"{PREFIX}{CONFIRM}:"
SHOW_EVENT = f"{PREFIX}{EVENT}:show:"
CANCEL_SEAT = f"{PREFIX}{EVENT}:cancel:"
STOP_NEWS = f"{PREFIX}{NEWS}:stop:"
OPEN_TALK = f"{PREFIX}{TALK}"
SEND_DOCUMENT = f"{PREFIX}{DOCUMENT}:"
CRISIS_YES = f"{PREFIX}{CRISIS}:yes:"
CRISIS_NO = f"{PREFIX}{CRISIS}:no:"
CRISIS_CANCEL = f"{PREFIX}{CRISIS}:cancel:"
CRISIS_OFF = f"{PREFIX}{CRISIS}:off"
SCOUT_WRITE = f"{PREFIX}{CRISIS}:write:"
SCOUT_ARRIVED = f"{PREFIX}{CRISIS}:arrived:"
DID_NOT_HAPPEN = "no"


def fields(payload: str) -> tuple[str, str]:
    """The two fields after `act:<action>:`; empty where missing."""
    parts = [*payload.split(":")[2:], "", ""]
    return parts[0], parts[1]


def last_field(payload: str) -> str:
    return payload.rsplit(":", 1)[-1]


def number(text: str) -> int | None:
    """An id or a count from a payload; None for anything that is not a plain, short number."""
    return int(text) if text.isdigit() and len(text) < 12 else None
