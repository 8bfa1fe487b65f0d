"""Project chat for SynergyOS: messages, one-level threads, mentions and read state.

Threads are one level deep: a reply to a reply joins its thread root (see
:mod:`synergy_messaging.service` for the rules on threads and deletion).

Built only on the public hook specs and kernel API. Notifications about
mentions are not made here: the ``message.created`` event carries the
mentioned members, and any subscriber (the bundled ``notifications`` plugin,
webhooks) takes it from there.
"""

__version__ = "0.1.0"
