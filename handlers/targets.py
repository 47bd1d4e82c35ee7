"""Where one dialogue leads into another: every flow's name and its entry points, as constants.

`handlers.dialogues` checks when it is built that each of them exists.
"""

from __future__ import annotations

from engine.steps import Target

ONBOARDING = "onboarding"
MENU = "menu"
LANGUAGE_FLOW = "language"
VOLUNTEER = "volunteer"
PROFILE = "profile"
REQUEST = "request"
MY_REQUESTS_FLOW = "requests"
ORGANISATION = "organisation"
OPPORTUNITY = "opportunity"
OPPORTUNITIES = "opportunities"
PRIVACY = "privacy"
AGENCY = "agency"
CONTACT = "contact"
INVITATION_FLOW = "invitation"

WELCOME = Target(ONBOARDING)
CONSENT = Target(ONBOARDING, "privacy")
MAIN_MENU = Target(MENU, "main")
LANGUAGE = Target(LANGUAGE_FLOW)
ERASE = Target(PRIVACY)

NEW_PROFILE = Target(VOLUNTEER)
PROFILE_EDIT = Target(VOLUNTEER, "edit")
PROFILE_RHYTHM = Target(VOLUNTEER, "rhythm")
PROFILE_CARD = Target(PROFILE, "card")

NEW_REQUEST = Target(REQUEST, "category")
NEW_REQUEST_FOR_SOMEONE = Target(REQUEST, "name")
REQUEST_AGAIN = Target(REQUEST, "day")
REQUEST_TIME = Target(REQUEST, "time")
NEW_REQUEST_NAME = Target(REQUEST, "name")
MY_REQUESTS = Target(MY_REQUESTS_FLOW, "list")

REGISTER_ORGANISATION = Target(ORGANISATION)
ORGANISATION_CARD = Target(ORGANISATION, "card")
NEW_OPPORTUNITY = Target(OPPORTUNITY)
OUR_OPPORTUNITIES = Target(OPPORTUNITIES, "list")

AGENCY_QUEUE = Target(AGENCY, "queue")
AGENCY_CASE = Target(AGENCY, "case")
CALL_BACK_PHONE = Target(CONTACT, "phone")
WRITE_TO_AGENCY = Target(CONTACT, "write")
INVITATION = Target(INVITATION_FLOW, "accept")
RELAY = "relay"
DECLINE = "decline"
RELAY_LIST = Target(RELAY, "list")
RELAY_WRITE = Target(RELAY, "write")
DECLINE_WHY = Target(DECLINE, "why")
BOERSE = "boerse"
OPEN_REQUESTS = Target(BOERSE, "requests")
OPEN_POSITIONS = Target(BOERSE, "positions")
EVENTS_FLOW = "events"
EVENTS = Target(EVENTS_FLOW, "list")
NEW_EVENT = Target(EVENTS_FLOW, "title")
NEWS_FLOW = "news"
NEWS_SETTINGS = Target(NEWS_FLOW, "settings")
NEW_NEWSLETTER = Target(NEWS_FLOW, "kind")
DOCUMENTS_FLOW = "documents"
DOCUMENTS = Target(DOCUMENTS_FLOW, "list")
DONATIONS_FLOW = "donations"
DONATIONS = Target(DONATIONS_FLOW, "home")
TALK_FLOW = "talk"
TALK = Target(TALK_FLOW, "write")
FIGURES_FLOW = "figures"
FIGURES = Target(FIGURES_FLOW, "period")
LINKED_POSITIONS = Target("linked", "positions")
CRISIS_FLOW = "crisis"
CRISIS_CALLS = Target(CRISIS_FLOW, "calls")
SCOUT_WRITE = Target(CRISIS_FLOW, "scout_write")
