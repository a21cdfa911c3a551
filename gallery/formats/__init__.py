"""File formats: bytes in, bytes or plain data out; never imports Flask, SQLAlchemy, models or services."""
