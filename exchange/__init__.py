"""The exchange's domain: the life of people, requests, matches, organisations and opportunities.

Every change of a stored state has its one home here. A function takes a session and plain values
and returns plain results; it never imports a dialogue, a channel or a chat framework.
"""
