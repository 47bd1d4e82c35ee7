"""The dialogue engine: steps and outcomes, widgets, commands, group commit and translated texts.

It runs the dialogues registered with it (`handlers/`) for every channel and knows no chat
platform and no single dialogue.
"""
