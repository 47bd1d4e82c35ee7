"""Every dialogue of the bot, the actions of the buttons on pushed messages, and where the engine
leads people (welcome, consent, home, language, erase): checked when built, so a step that leads to
a flow or step that does not exist fails at import."""

from __future__ import annotations

from engine.steps import Dialogues, Entrances
from handlers import (
    agency,
    boerse,
    contact,
    crisis,
    documents,
    donations,
    events,
    figures,
    invitation,
    language,
    links,
    menu,
    my_requests,
    news,
    offers,
    onboarding,
    opportunities,
    opportunity,
    organisation,
    privacy,
    profile,
    relay,
    request,
    talk,
    volunteer,
)
from handlers.targets import CONSENT, ERASE, LANGUAGE, MAIN_MENU, WELCOME

DIALOGUES = Dialogues(
    (
        onboarding.FLOW,
        menu.FLOW,
        language.FLOW,
        volunteer.FLOW,
        profile.FLOW,
        request.FLOW,
        my_requests.FLOW,
        organisation.FLOW,
        opportunity.FLOW,
        opportunities.FLOW,
        privacy.FLOW,
        agency.FLOW,
        contact.FLOW,
        invitation.FLOW,
        relay.FLOW,
        boerse.FLOW,
        offers.DECLINE_FLOW,
        events.FLOW,
        news.FLOW,
        documents.FLOW,
        donations.FLOW,
        talk.FLOW,
        figures.FLOW,
        links.FLOW,
        crisis.FLOW,
    ),
    {
        **offers.ACTIONS,
        **events.ACTIONS,
        **news.ACTIONS,
        **documents.ACTIONS,
        **donations.ACTIONS,
        **talk.ACTIONS,
        **crisis.ACTIONS,
    },
    Entrances(
        welcome=WELCOME,
        consent=CONSENT,
        home=MAIN_MENU,
        language=LANGUAGE,
        erase=ERASE,
        start_link=links.start_link,
        greeting=onboarding.greeting,
    ),
)
