"""HubSpot emulator for tests (under construction)."""
