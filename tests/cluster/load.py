"""The bounded load through nginx: client threads uploading, editing captions, searching, viewing and downloading.

Every request is recorded with its start and end (monotonic clock), so the test can tell the
requests in flight when a server was killed from all the others.
"""
from __future__ import annotations

import hashlib
import io
import itertools
import re
import threading
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tests.cluster.client import Client, Response, follow
from tests.cluster.photos import photo, word

# One cycle of each client's steps: uploads, caption edits, searches, page views and downloads
# (a whole gallery's zip is the heavy one: once a cycle).
STEPS = ("upload", "home", "search", "edit", "download", "gallery_page", "asset_page", "search",
         "search_page", "download_original", "edit", "upload", "home", "search", "download",
         "asset_page", "home", "search", "edit", "download", "gallery_page", "upload", "asset_page",
         "search_page", "download_original", "edit", "download", "home", "search", "download", "zip")
EXPECTED = {"upload": 201}  # every other step answers 200
ZIP_ENTRY = re.compile(r"-(\d+)-(\w+)\.\w+$")  # <gallery slug>-<asset id>-<size name>.<ext>
SIZE_OF_NAME = {"small": "preview", "large": "large", "original": "original"}  # as the log names them


@dataclass
class Record:
    """One request of the load: what, when (monotonic start and end) and how it ended."""

    step: str
    path: str
    t0: float
    t1: float
    status: int | None  # None: no answer (connection error, timeout)
    error: str = ""
    upload_sha256: str = ""
    asset_id: int | None = None  # of an acknowledged upload
    download: tuple[int, str] | None = None  # (asset id, size) of a single download
    gallery_id: int | None = None  # of a zip

    @property
    def ok(self) -> bool:
        return self.status == EXPECTED.get(self.step, 200) and not self.error


@dataclass
class Asset:
    """An uploaded asset as its client knows it: id, gallery, page and last acknowledged caption."""

    id: int
    gallery_id: int
    url: str
    caption: str
    unsure: bool = False  # an edit got no answer: the caption may be either


@dataclass
class Load:
    """Client threads sending the steps round and round through one Client until told to stop."""

    client: Client
    galleries: list[dict]
    threads: int = 3
    records: list[Record] = field(default_factory=list)
    assets: dict[int, Asset] = field(default_factory=dict)
    downloaded: Counter = field(default_factory=Counter)  # (asset id, size) -> files received
    started: float = 0.0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.serial = itertools.count(1)
        self.workers = [threading.Thread(target=self._run, args=(i,), name=f"load-{i}", daemon=True)
                        for i in range(self.threads)]

    def start(self) -> None:
        self.started = time.monotonic()
        for t in self.workers:
            t.start()

    def finish(self) -> None:
        """Stop after the requests under way and wait for every client thread."""
        self.stop.set()
        for t in self.workers:
            t.join()

    def snapshot(self) -> list[Record]:
        """The records so far (the threads go on adding)."""
        with self.lock:
            return list(self.records)

    def caption(self) -> str:
        """A new caption with a word no other caption has."""
        with self.lock:
            n = next(self.serial)
        return f"Field office {word(n)}: families queue for water at the new borehole."

    def _run(self, index: int) -> None:
        mine: list[int] = []  # each client edits only its own uploads: it knows their caption
        steps = itertools.cycle(STEPS[index * 11 % len(STEPS):] + STEPS[:index * 11 % len(STEPS)])
        turn = 0
        while not self.stop.is_set():
            step = next(steps)
            if not mine and step != "upload":
                step = "upload"
            turn += 1
            getattr(self, f"_{step}")(mine, turn)

    def _send(self, record: Record, call) -> Response | None:
        """Make the request, filling in record's times and outcome; the record is kept either way."""
        record.t0 = time.monotonic()
        response = None
        try:
            response = call()
            record.status = response.status
        except OSError as exc:
            record.error = f"{type(exc).__name__}: {exc}"
        record.t1 = time.monotonic()
        with self.lock:
            self.records.append(record)
        return response

    def _pick(self, mine: list[int], turn: int) -> Asset:
        with self.lock:
            return self.assets[mine[turn % len(mine)]]

    # --- the steps -------------------------------------------------------------------------

    def _upload(self, mine: list[int], turn: int) -> None:
        caption = self.caption()
        with self.lock:
            n = next(self.serial)
        data = photo(n, caption)
        gallery = self.galleries[n % len(self.galleries)]
        path = f"/api/galleries/{gallery['id']}/assets"
        record = Record("upload", path, 0, 0, None, upload_sha256=hashlib.sha256(data).hexdigest())
        response = self._send(record, lambda: self.client.post_file(path, f"field-{n}.jpg", data))
        if response is None or response.status != 201:
            return
        asset = response.json()
        if asset["caption"] != caption:  # read from the file's EXIF by the ingest
            record.error = f"caption read as {asset['caption']!r}, written {caption!r}"
            return
        with self.lock:
            self.assets[asset["id"]] = Asset(asset["id"], gallery["id"], urlsplit(asset["url"]).path,
                                             caption)
        record.asset_id = asset["id"]
        mine.append(asset["id"])

    def _edit(self, mine: list[int], turn: int) -> None:
        asset = self._pick(mine, turn)
        caption = self.caption()
        path = f"/api/assets/{asset.id}"
        response = self._send(Record("edit", path, 0, 0, None),
                              lambda: self.client.post_json(path, {"caption": caption}, method="PATCH"))
        with self.lock:
            if response is not None and response.status == 200:
                asset.caption, asset.unsure = caption, False
            else:
                asset.unsure = True

    def _search(self, mine: list[int], turn: int) -> None:
        asset = self._pick(mine, turn)
        self._get("search", "/api/search", q=word_of(asset.caption))

    def _search_page(self, mine: list[int], turn: int) -> None:
        self._get("search_page", "/search", q="borehole water")

    def _home(self, mine: list[int], turn: int) -> None:
        self._get("home", "/")

    def _gallery_page(self, mine: list[int], turn: int) -> None:
        self._get("gallery_page", urlsplit(self.galleries[turn % len(self.galleries)]["url"]).path)

    def _asset_page(self, mine: list[int], turn: int) -> None:
        self._get("asset_page", self._pick(mine, turn).url)

    def _download(self, mine: list[int], turn: int, size: str = "preview") -> None:
        asset = self._pick(mine, turn)
        path = f"/api/assets/{asset.id}/download?size={size}&use=Press"
        record = Record("download", path, 0, 0, None, download=(asset.id, size))
        # From an object store the app answers with a short-lived presigned URL: the file is there.
        response = self._send(record, lambda: follow(self.client.get(path)))
        if response is not None and response.status == 200:
            with self.lock:
                self.downloaded[(asset.id, size)] += 1

    def _download_original(self, mine: list[int], turn: int) -> None:
        self._download(mine, turn, "original")

    def _zip(self, mine: list[int], turn: int) -> None:
        gallery = self.galleries[turn % len(self.galleries)]
        path = f"/download/galleries/{gallery['id']}.zip?size=preview&use=Press"
        record = Record("zip", path, 0, 0, None, gallery_id=gallery["id"])
        response = self._send(record, lambda: self.client.get(path))
        if response is None or response.status != 200:
            return
        try:
            files = zip_files(response.body)
        except zipfile.BadZipFile as exc:
            record.error = f"bad zip: {exc}"
            return
        with self.lock:
            self.downloaded.update(files)

    def _get(self, step: str, path: str, **params) -> None:
        self._send(Record(step, path, 0, 0, None), lambda: self.client.get(path, **params))


def word_of(caption: str) -> str:
    """The made-up word a caption is searched by."""
    return re.search(r"\bzq[a-z]{5}\b", caption).group(0)


def zip_files(data: bytes) -> Counter:
    """(asset id, size) of each file in a gallery zip, after checking every entry's CRC."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        bad = zf.testzip()
        if bad is not None:
            raise zipfile.BadZipFile(f"entry {bad} is damaged")
        names = [n for n in zf.namelist() if n != "captions.csv"]
    found = Counter()
    for name in names:
        m = ZIP_ENTRY.search(name)
        found[(int(m.group(1)), SIZE_OF_NAME[m.group(2)])] += 1
    return found
