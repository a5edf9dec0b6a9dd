"""SMS as a chat channel (issue 13): segment sizing, number normalisation and the gateway seam;
gateway adapters follow."""
