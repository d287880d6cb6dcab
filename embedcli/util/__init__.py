"""Helpers every stage uses: atomic writes and locks, interrupts, resumable part files."""
