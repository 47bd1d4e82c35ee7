"""Telegram front ends: python-telegram-bot and aiogram over one neutral channel and one sender."""
