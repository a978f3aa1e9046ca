"""The one error every channel raises; outside the channels package so that provider clients
(`slack_client`) can raise it without importing the channel registry."""


class DeliveryError(Exception):
    """The channel refused the alert, or every retry failed: recorded as failed, then dead-lettered."""
