"""Alerts: notifications delivered as signed webhooks, e-mails and chat messages (README)."""
