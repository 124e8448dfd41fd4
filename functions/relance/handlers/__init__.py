"""Lambda handlers: thin. Each parses its event, calls one application function, and returns."""
