"""Outgoing webhooks: signed, retried, SSRF-safe deliveries of SynergyOS events.

Installed as the import package ``synergy_webhooks`` and loaded through the
``webhooks`` entry point (``synergy_webhooks.plugin``).
"""
