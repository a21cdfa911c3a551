"""Services: the use cases and their side effects. Views call these, never the reverse."""
