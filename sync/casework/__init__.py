"""Casework over many records: an officer's cases and their priority, the team's
dashboard, and planning: day plans (days), week plans (weeks) and stored plans (plans,
which declares the day plan's record kind).

Imports: everything below the operations, and the route engine (routing).
"""
