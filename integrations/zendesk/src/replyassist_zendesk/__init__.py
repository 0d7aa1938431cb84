"""replyassist for Zendesk: a helpdesk adapter on zenpy, signed webhooks, Help Center sync and set-up.

Installed, it registers itself as the ``zendesk`` helpdesk (entry point group
``replyassist.helpdesks``), so the replyassist service finds it by name::

    from replyassist.helpdesk import load_helpdesk
    adapter = load_helpdesk("zendesk")          # reads the ZENDESK_* environment variables

Or directly::

    from replyassist_zendesk import ZendeskAdapter, ZendeskSettings
    adapter = ZendeskAdapter(ZendeskSettings(subdomain="acme", email="bot@acme.com", api_token="…",
                                             webhook_secret="…"))
"""

from __future__ import annotations

from replyassist_zendesk._adapter import ZendeskAdapter, from_settings
from replyassist_zendesk._mapping import CHANNELS, VIA_IDS, map_channel, render_note_html
from replyassist_zendesk._settings import ZendeskSettings
from replyassist_zendesk._version import __version__
from replyassist_zendesk._webhooks import TRIGGER_BODY, sign

__all__ = [
    "CHANNELS",
    "TRIGGER_BODY",
    "VIA_IDS",
    "ZendeskAdapter",
    "ZendeskSettings",
    "__version__",
    "from_settings",
    "map_channel",
    "render_note_html",
    "sign",
]
