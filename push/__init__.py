"""Pushing: offer rounds, reminders and follow-ups planned as outbox rows, then delivered."""
