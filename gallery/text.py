"""Plain text helpers: slugs, display-safe file names and labels, byte counts for messages."""
from __future__ import annotations

import re
import unicodedata

_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def slugify(text: str, max_length: int = 80) -> str:
    """ASCII slug: accents folded, lower case, words joined by hyphens."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "untitled"


def clean_filename(name: str, max_length: int = 200) -> str:
    """A file name fit for display only: no path, control or bidi characters, bounded length."""
    name = _UNSAFE.sub("", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".")
    if len(name) > max_length:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: max_length - len(ext) - 1] + "." + ext) if dot and len(ext) < 10 else name[:max_length]
    return name or "unnamed"


def clean_label(path: str, max_length: int = 300) -> str:
    """A path inside an archive fit for display in a report: no control or bidi characters."""
    text = _UNSAFE.sub("", path or "").replace("\\", "/")
    return (text if len(text) <= max_length else text[: max_length - 3] + "...") or "unnamed"


def human_bytes(n: int) -> str:
    """A byte count for messages: 200 MB, 2 GB, 512 bytes."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


def natural_key(name: str) -> tuple:
    """Sort key for file names as people read them: IMG_2.jpg before IMG_10.jpg, case ignored."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
                 for part in re.split(r"(\d+)", name or "") if part)
