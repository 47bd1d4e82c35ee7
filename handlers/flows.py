"""Every dialogue of the bot, by name."""

from __future__ import annotations

from handlers import language, menu, onboarding
from handlers.flow import Flow

FLOWS: dict[str, Flow] = {flow.name: flow for flow in (onboarding.FLOW, menu.FLOW, language.FLOW)}
