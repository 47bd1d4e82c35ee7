"""Every dialogue of the bot, by name."""

from __future__ import annotations

from handlers import (
    language,
    menu,
    my_requests,
    onboarding,
    opportunity,
    organisation,
    privacy,
    profile,
    request,
    volunteer,
)
from handlers.flow import Flow

FLOWS: dict[str, Flow] = {
    flow.name: flow
    for flow in (
        onboarding.FLOW,
        menu.FLOW,
        language.FLOW,
        volunteer.FLOW,
        profile.FLOW,
        request.FLOW,
        my_requests.FLOW,
        organisation.FLOW,
        opportunity.FLOW,
        opportunity.LIST_FLOW,
        privacy.FLOW,
    )
}
