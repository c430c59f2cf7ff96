"""The admin pages: staff accounts, API tokens, template overrides."""
