"""Default settings: paths, rendition sizes, limits and page sizes. No secrets here."""
from __future__ import annotations

import datetime as _dt
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Where things live. Relative paths are resolved against the project root.
DATABASE_URL = None  # None means sqlite:///<instance>/gallery.sqlite
UPLOAD_DIR = os.path.join(ROOT, "uploads")
SEARCH_INDEX_DIR = os.path.join(ROOT, "search_index")

# Where originals, renditions, served copies and proxies are stored (docs/operations.md):
# None keeps them under UPLOAD_DIR; "file:///abs/dir" in another folder; "s3://bucket/prefix"
# in an S3-compatible object store (credentials from the standard AWS chain).
STORAGE_URL = None
S3_ENDPOINT_URL = None  # e.g. http://127.0.0.1:9000 for MinIO; None: AWS S3
S3_REGION = None
S3_PRESIGN_SECONDS = 300  # life of the URLs that downloads and players are redirected to
# Local store only: None sends files from the app; "x-accel-redirect" (nginx) or "x-sendfile"
# lets the front server send them once the app has said yes. X_ACCEL_PREFIX is the nginx
# internal location that maps to the storage folder.
SERVE_FILES_WITH = None
X_ACCEL_PREFIX = "/_protected/"

SITE_NAME = "Media Gallery"
ORGANISATION = "Example Relief Agency"
# Credits written into every downloaded file and shown beside each item (docs/configuration.md).
# Placeholders: {organisation} (the rights holder: the item's credit, else its gallery's, else
# ORGANISATION), {year} (taken, else the gallery's date), {creator}, {credit}. An empty one drops
# out with the punctuation before it; an unknown one stops the app at startup.
CREDIT_LINE_FORMAT = "© {organisation} {year} / {creator}"  # the ready-to-paste credit line
COPYRIGHT_NOTICE = "© {organisation} {year}"  # the notice in files whose item has no copyright of its own

# Long edge in pixels of each named rendition; only these sizes are ever served.
RENDITION_SIZES = {"thumb": 400, "preview": 1280, "large": 2560}
JPEG_QUALITY = 85
# IIIF Image API (/iiif/3/): how far a viewer may zoom, as a rendition size or "full" (the
# location-free original's full resolution). The public gets IIIF_PUBLIC_SIZE; users who may
# download the large size get IIIF_DOWNLOAD_SIZE when it is bigger.
IIIF_PUBLIC_SIZE = "preview"
IIIF_DOWNLOAD_SIZE = "large"
IIIF_TILE_SIZE = 512
# The language catalogue text is written in (IIIF manifests tag every label and value with it).
CATALOGUE_LANGUAGE = "en"

# Imaging (probe, metadata, renditions).
# Sizes made while ingesting; the others (large) are made on first use and then kept.
RENDITIONS_AT_INGEST = ("thumb", "preview")
# Sizes `gallery import` and `gallery import-folder` make in their process pool: large too, from
# the same decode (a request has to answer quickly; a bulk import is faster doing it all at once).
RENDITIONS_AT_IMPORT = ("thumb", "preview", "large")

# Page sizes for the browse pages and the API.
GALLERIES_PER_PAGE = 24
ASSETS_PER_PAGE = 60
MANAGE_ASSETS_PER_PAGE = 100  # a gallery's manage page and its caption grid
DASHBOARD_PER_PAGE = 50  # galleries per page of the staff dashboard (/manage/)
API_MAX_PER_PAGE = 200

# Upload limits.
MAX_IMAGE_PIXELS = 120_000_000
MAX_IMAGE_BYTES = 200 * 1024 * 1024
MAX_VIDEO_BYTES = 2 * 1024 * 1024 * 1024
MAX_CONTENT_LENGTH = 2 * 1024 * 1024 * 1024 + 1024 * 1024
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_BYTES = 4 * 1024 * 1024 * 1024

# Ingest (CLI imports, web uploads, API): files whose rows are committed in one transaction,
# with one search index drain per batch.
INGEST_BATCH_SIZE = 50

# Consent: assets whose consent is "unknown" are public when True; when False they are hidden
# from the public like "withheld" ones (staff still see them). Run `gallery init` after changing
# it, so that the gallery counts follow.
PUBLISH_UNKNOWN_CONSENT = True

# Accounts: "open", "approval" or "closed".
REGISTRATION_MODE = "open"

# Downloads: ask for the intended use (Press / Web / Print / TV / Internal / Other) on the
# terms page and with each download; most files one gallery zip may hold.
ASK_INTENDED_USE = True
# Where the organisation's terms of use are published, written into files whose licence is
# "the organisation's terms"; None: this site's /terms page (files made outside a request, such
# as video proxies, then carry no address).
TERMS_URL = None
MAX_ZIP_DOWNLOAD_FILES = 5000  # a bigger gallery is offered in numbered parts of this many

RATELIMIT_REDIS_URL = None
MAIL_SERVER = None
MAIL_PORT = 25
MAIL_USE_TLS = False
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_SENDER = "gallery@localhost"
# The site's public address (https://media.example.org): links in mail sent outside a request
# (the saved searches' daily e-mail) start with it.
PUBLIC_URL = None

# --- Accounts (log in, registration, password reset, rate limits) ---
# Failed logins of one account from one address before each further attempt waits 1, 2, 4 ... s
# (never locked: its owner at another address is not slowed down), and the longest wait.
LOGIN_SLOWDOWN_AFTER = 5
LOGIN_SLOWDOWN_LONGEST = 15 * 60  # seconds
# Failed logins per client address per window, whatever the account: a strict limit.
LOGIN_MAX_FAILURES_PER_ADDRESS = 30
LOGIN_FAILURE_WINDOW = 15 * 60  # seconds
PASSWORD_RESET_MAX_AGE = 60 * 60  # seconds a reset link works
REGISTRATION_CONFIRM_MAX_AGE = 48 * 60 * 60  # seconds the link that activates a new account works
PASSWORD_RESET_MAX_PER_ADDRESS = 10  # reset requests per address per LOGIN_FAILURE_WINDOW
REGISTRATION_MAX_PER_ADDRESS = 10  # registrations (each sends a mail) per address per LOGIN_FAILURE_WINDOW
RATELIMIT_KEY_PREFIX = "gallery:rl:"  # Redis key prefix (several sites can share one Redis)
AUTH_MAX_CONTENT_LENGTH = 1024 * 1024  # bytes: account forms are small, long passwords still fit
USERS_PER_PAGE = 50  # admin user list
PERMANENT_SESSION_LIFETIME = _dt.timedelta(days=30)  # how long "keep me logged in" lasts
# Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted
# (0: none). Needed behind nginx for the client address (rate limits) and HTTPS (Secure cookies).
TRUSTED_PROXIES = 0

# Session cookies: HttpOnly and SameSite=Lax always; Secure is added per request when served over
# HTTPS; SESSION_COOKIE_SECURE = True sets it on every response (TLS terminated elsewhere).
SESSION_COOKIE_SECURE = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Search (Whoosh). SEARCH_INDEX_DIR holds a CURRENT pointer file and versioned index directories.
SEARCH_LOCK_TIMEOUT = 0.5  # seconds a request waits for the index writer before leaving the log to the next writer
SEARCH_DRAIN_LIMIT = 2000  # change log entries one request applies at most; the rest waits for the next writer
SEARCH_BACKLOG_GRACE = 60  # seconds before an entry this server has not applied counts as drift in `gallery check`
SEARCH_PER_PAGE = 24
# The most documents per index segment in `gallery reindex` (per indexing process): fewer, bigger segments
# search faster (a query's work per term is per segment); each process holds its postings in
# memory while it builds (up to 1.1 GB of its own at 200,000; docs/configuration.md).
SEARCH_SEGMENT_DOCS = 200_000
# Several app servers (docs/search.md#several-servers). Each server keeps its own index in
# SEARCH_INDEX_DIR, following the change log in the database from its own cursor.
# "inline": the committing process applies the log to its server's index (one server, the
# default); "sync": web processes only read, and `gallery search-sync` (or `gallery worker`)
# is this server's one writer.
SEARCH_WRITER = "inline"
SEARCH_SERVER_NAME = None  # this server's cursor in the database; None: host name + index dir
SEARCH_READY_LAG = 30  # seconds behind the change log past which /readyz answers 503
SEARCH_SYNC_INTERVAL = 1.0  # seconds between passes of `gallery search-sync`
SEARCH_LOG_RETENTION = 7 * 24 * 3600  # seconds: older log entries are pruned whoever still needs them
SEARCH_LOG_PRUNE_SECONDS = 300  # how often (seconds) a writer prunes the log, at most

# Editorial (issue 6): trashed galleries and assets stay restorable this many days;
# `gallery empty-trash --older-than-days N` purges them after that.
TRASH_RETENTION_DAYS = 30
# API tokens: how often (seconds) a token's last-used time is written, at most.
API_TOKEN_TOUCH_SECONDS = 300

# Background work (services/work.py, services/jobs.py). REDIS_URL None: embedded mode, the jobs
# run in a background thread of the app process. With a URL (redis://host:6379/0): web
# processes only enqueue, and `gallery worker` runs the jobs (RQ).
REDIS_URL = None
JOB_THREAD = True  # embedded mode: False leaves jobs queued until jobs.wait_idle() runs them
JOB_MAX_ATTEMPTS = 3  # a piece that failed this many times is `failed` with its reason
JOB_RETRY_SECONDS = 30  # wait before the first retry; doubled for each further attempt
JOB_LEASE_SECONDS = 15 * 60  # a piece not started or not finished by then is queued again
JOB_WORKER_NICE = 10  # `gallery worker` lowers its CPU priority so web workers win the CPU (0: as started)
JOB_SWEEP_SECONDS = 30  # how often `gallery worker` (and the embedded thread) sweeps

# Open standards (docs/open-standards.md). OAI-PMH at /oai: records per page of ListRecords and
# ListIdentifiers; the repository's name (None: ORGANISATION) and contact (None: MAIL_SENDER);
# the repositoryIdentifier in every record identifier (oai:<it>:asset/<id>); None: the site's host
# name. Set it in production, so identifiers stay the same if the host name changes.
OAI_PAGE_SIZE = 100
OAI_REPOSITORY_NAME = None
OAI_ADMIN_EMAIL = None
OAI_REPOSITORY_IDENTIFIER = None
# Sitemaps at /sitemap.xml: URLs per paged sitemap (the protocol allows 50,000 at most; a full
# page of 10,000 photos is about 4 MB, made in under 2 s: docs/benchmarks.md#harvesting).
SITEMAP_PAGE_SIZE = 10_000
