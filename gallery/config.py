"""Default settings: paths, rendition sizes, limits and page sizes. No secrets here."""
from __future__ import annotations

import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Where things live. Relative paths are resolved against the project root.
DATABASE_URL = None  # None means sqlite:///<instance>/gallery.sqlite
UPLOAD_DIR = os.path.join(ROOT, "uploads")
SEARCH_INDEX_DIR = os.path.join(ROOT, "search_index")

SITE_NAME = "Media Gallery"
ORGANISATION = "Example Relief Agency"

# Long edge in pixels of each named rendition; only these sizes are ever served.
RENDITION_SIZES = {"thumb": 400, "preview": 1280, "large": 2560}
JPEG_QUALITY = 85

# Page sizes for the browse pages and the API.
GALLERIES_PER_PAGE = 24
ASSETS_PER_PAGE = 60
API_MAX_PER_PAGE = 200

# Upload limits.
MAX_IMAGE_PIXELS = 120_000_000
MAX_IMAGE_BYTES = 200 * 1024 * 1024
MAX_VIDEO_BYTES = 2 * 1024 * 1024 * 1024
MAX_CONTENT_LENGTH = 2 * 1024 * 1024 * 1024 + 1024 * 1024
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_BYTES = 4 * 1024 * 1024 * 1024

# Accounts: "open", "approval" or "closed".
REGISTRATION_MODE = "open"

# Downloads: ask for the intended use (Press / Web / Print / TV / Internal / Other) on the
# terms page and with each download; most files one gallery zip may hold.
ASK_INTENDED_USE = True
MAX_ZIP_DOWNLOAD_FILES = 500

RATELIMIT_REDIS_URL = None
MAIL_SERVER = None
MAIL_PORT = 25
MAIL_USE_TLS = False
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_SENDER = "gallery@localhost"

# Session cookies: HttpOnly and SameSite=Lax always; Secure is added when served over HTTPS.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
