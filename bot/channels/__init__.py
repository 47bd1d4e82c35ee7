"""Channels turn a platform's updates into `Incoming` and render `Reply` back; nothing else."""
