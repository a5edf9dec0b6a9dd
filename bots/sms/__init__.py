"""SMS as a chat channel (issue 13): segment sizing first; Gammu SMSD and the Twilio-compatible
gateway adapters follow."""
