"""Post a report's headline to a webhook as one JSON object both chat tools read:
- Slack incoming webhooks show `text` (https://api.slack.com/messaging/webhooks);
- Microsoft Teams incoming webhooks read the legacy actionable message card fields `@type`,
  `@context`, `summary`, `title`, `text`, `sections[].facts` and `potentialAction` (the
  "Legacy actionable message card reference" in Microsoft's Teams documentation).
Each ignores the other's fields. Teams Workflows webhooks (which replace Microsoft 365
connectors) accept only Adaptive Cards: a `teams+https://` destination gets
`workflow_payload`, a message whose one attachment is the card. See docs/report.md."""

from __future__ import annotations

import json
from typing import Any

from ecrcost.delivery.destinations import WebhookDestination

TIMEOUT_SECONDS = 30.0


def payload(title: str, figures: list[tuple[str, str]], link: str) -> dict[str, Any]:
    lines = [f"{label}: {value}" for label, value in figures]
    return {
        "text": "\n".join([title, *lines, f"Report: {link}"]),
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": title,
        "title": title,
        "sections": [{"facts": [{"name": label, "value": value} for label, value in figures]}],
        "potentialAction": [
            {
                "@type": "OpenUri",
                "name": "Open the report",
                "targets": [{"os": "default", "uri": link}],
            }
        ],
    }


def workflow_payload(title: str, figures: list[tuple[str, str]], link: str) -> dict[str, Any]:
    """The same headline as an Adaptive Card (1.4) in the message a Teams Workflows webhook takes."""
    card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium",
             "wrap": True},
            {"type": "FactSet",
             "facts": [{"title": label, "value": value} for label, value in figures]},
        ],
        "actions": [{"type": "Action.OpenUrl", "title": "Open the report", "url": link}],
    }  # fmt: skip
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def post(dest: WebhookDestination, body: dict[str, Any]) -> str:
    """POST the JSON; an HTTP status other than 2xx raises (urllib.error.HTTPError)."""
    import urllib.request

    request = urllib.request.Request(
        dest.url,
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        response.read()
        return f"posted to {dest.label} (HTTP {response.status})"
