"""Notifications: the bell, the list, email preferences and the notification emails."""
