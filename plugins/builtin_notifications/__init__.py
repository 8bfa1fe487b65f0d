"""In-app and e-mail notifications for SynergyOS, made from committed domain events.

A second bundled plugin rather than part of ``messaging`` because it depends
on nothing but the event contract: task, member, project and comment events
come from the kernel, ``message.created`` from messaging. Either plugin can be
disabled without the other, and a third-party chat plugin that emits
``message.created`` with ``mentions`` gets mention notifications for free.
"""

__version__ = "0.1.0"
