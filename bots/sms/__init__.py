"""SMS as a chat channel (issue 13): the channel over a gateway (console, a Twilio-compatible
provider; Gammu SMSD), keywords and paging over the shared conversation, cost controls
(docs/integrations/sms.md)."""
