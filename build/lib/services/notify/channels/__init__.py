"""Alert channels: Slack, SMS (Twilio) and email (SMTP), one small adapter each."""
