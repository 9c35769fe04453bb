"""Casework over many records: an officer's cases and their priority, the team's
dashboard, and planning: day plans (days), week plans (weeks) with their paired visits
met at one minute (together), stored plans (plans, which declares the day plan's record
kind), and who plans which patch when: absences and cover (absences, cover).

Imports: everything below the operations, and the route engine (routing).
"""
