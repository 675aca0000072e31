"""pytest plugin: the hubspot_emulator fixture (under construction)."""
