"""Pure, I/O-free rules for the equipment inventory: identifiers, numbers, places and secrets."""
