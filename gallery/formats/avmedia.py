"""Video and audio: duration, dimensions and codec with PyAV, tags with mutagen, poster and waveform."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import av
import mutagen
from PIL import Image, ImageDraw

from gallery.exceptions import UnsupportedMedia
from gallery.formats import imaging
from gallery.formats.imagemeta import fix_text, parse_date
from gallery.formats.location.common import is_location_tag

log = logging.getLogger(__name__)

POSTER_AT = 1.0  # seconds: past fades from black, still near the start
WAVEFORM_RATE = 8000  # samples per second analysed: plenty for a picture of loudness
WAVEFORM_COLUMNS = 1600
WAVEFORM_SIZE = (2560, 800)
WAVEFORM_BG = (246, 247, 249)
WAVEFORM_FG = (32, 94, 166)
DATE_TAGS = ("com.apple.quicktime.creationdate", "creation_time", "date")


@dataclass
class AVFacts:
    """What probing a video or audio file found."""

    media_type: str
    width: int | None
    height: int | None
    duration: float | None
    codec: str | None
    metadata: dict[str, Any] = field(default_factory=dict)


def probe_av(path: str, name: str, expect: str) -> AVFacts:
    """Open with PyAV, decode a first frame, and read duration, size, codec and tags."""
    try:
        with av.open(path, metadata_errors="ignore") as container:
            video = next((s for s in container.streams.video
                          if not s.disposition & av.stream.Disposition.attached_pic), None)
            audio = next(iter(container.streams.audio), None)
            if expect == "audio" and video is not None:
                raise UnsupportedMedia(f"{name}: video in an audio container is not accepted.")
            stream = video if video is not None else audio
            if stream is None:
                raise UnsupportedMedia(f"{name}: the file has no video or audio stream.")
            if stream.codec_context is None:
                # FFmpeg knows no decoder for it (an unknown FourCC in an AVI, a proprietary codec).
                raise UnsupportedMedia(f"{name}: its {stream.type} is in a format we cannot decode, so "
                                       "it cannot be converted for the web. Export it as MP4 (H.264).")
            first = _first_frame(container, stream)
            if first is None:
                raise UnsupportedMedia(f"{name}: no frame could be decoded; the file is damaged.")
            duration = _duration(container, stream)
            tags = {k.lower(): v for k, v in (container.metadata or {}).items()}
            codec = getattr(stream.codec_context.codec, "canonical_name", None) or stream.codec_context.name
            width = height = None
            if video is not None:
                width, height = first.width, first.height
                if abs(int(getattr(first, "rotation", 0) or 0)) % 180 == 90:
                    width, height = height, width
    except UnsupportedMedia:
        raise
    except (av.FFmpegError, OSError, ValueError, StopIteration, UnicodeDecodeError) as exc:
        raise UnsupportedMedia(f"{name}: not a video or audio file we can read, or it is damaged.") from exc
    metadata = read_tags(path)
    for key, tag in (("title", "title"), ("creator", "artist"), ("caption", "comment")):
        if key not in metadata and tags.get(tag):
            metadata[key] = fix_text(tags[tag])[:2000]
    if "date_taken" not in metadata:
        # Phones write the capture time in QuickTime's creationdate; cameras in mvhd's creation_time.
        found = next(filter(None, (parse_date(tags.get(tag)) for tag in DATE_TAGS)), None)
        if found:
            metadata["date_taken"] = found
    # A phone may put coordinates in a comment or title: never let them become public text.
    metadata = {k: v for k, v in metadata.items() if not is_location_tag("", v)}
    return AVFacts("video" if video is not None else "audio", width, height, duration, codec, metadata)


def read_tags(path: str) -> dict[str, Any]:
    """Title, artist (creator), comment (caption) and date from ID3, MP4, Vorbis or RIFF tags."""
    try:
        easy = mutagen.File(path, easy=True)
        full = mutagen.File(path)
    except Exception:  # mutagen raises its own error per format; tags are a bonus, never a refusal
        return {}
    out: dict[str, Any] = {}
    if easy is not None and easy.tags is not None:
        out["title"] = _first(easy.tags, "title")
        out["creator"] = "; ".join(_all(easy.tags, "artist"))
        out["date_taken"] = parse_date(_first(easy.tags, "date"))
        out["caption"] = _first(easy.tags, "comment") or _first(easy.tags, "description")
    if not out.get("caption") and full is not None and full.tags is not None:
        out["caption"] = _comment(full.tags)
    return {k: v for k, v in out.items() if v}


def _first(tags: Any, key: str) -> str:
    found = _all(tags, key)
    return found[0] if found else ""


def _all(tags: Any, key: str) -> list[str]:
    try:
        values = tags.get(key) or []
    except (KeyError, ValueError):
        return []
    if isinstance(values, str):
        values = [values]
    return [t for t in (fix_text(v) for v in values) if t]


def _comment(tags: Any) -> str:
    """A comment from full (non-easy) tags: ID3 COMM frames or the MP4 ©cmt atom."""
    for key in list(tags.keys()):
        if key.startswith("COMM"):
            frame = tags[key]
            text = fix_text(" ".join(str(t) for t in frame.text))
            if text:
                return text
    try:
        value = tags.get("\xa9cmt") if hasattr(tags, "get") else None
    except (KeyError, ValueError):  # Vorbis comments refuse a key outside printable ASCII
        value = None
    return fix_text(value[0]) if value else ""


def _first_frame(container: Any, stream: Any) -> Any:
    for packet in container.demux(stream):
        for frame in packet.decode():
            return frame
    return None


def _duration(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        seconds = float(stream.duration * stream.time_base)
        if seconds > 0:
            return round(seconds, 3)
    if container.duration is not None and container.duration > 0:
        return round(container.duration / av.time_base, 3)
    return None


def poster_frame(path: str) -> Image.Image:
    """An RGB still from about one second in (or the first frame of a shorter clip), turned upright."""
    with av.open(path, metadata_errors="ignore") as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        chosen = None
        if stream.time_base is not None and (_duration(container, stream) or 0) > POSTER_AT * 1.5:
            try:
                container.seek(int(POSTER_AT / stream.time_base), stream=stream, backward=True)
            except av.FFmpegError:
                container.seek(0)
        for frame in container.decode(stream):
            chosen = frame
            if frame.time is None or frame.time >= POSTER_AT - 0.05:
                break
        if chosen is None:
            raise UnsupportedMedia("The video has no frame to show.")
        im = chosen.to_image()
        rotation = int(getattr(chosen, "rotation", 0) or 0) % 360
    # PyAV reports the display matrix rotation counter-clockwise; Pillow rotates counter-clockwise.
    return im.rotate(rotation, expand=True) if rotation else im


def waveform(path: str, size: tuple[int, int] = WAVEFORM_SIZE) -> Image.Image:
    """A picture of loudness over time, drawn from decoded samples in bounded memory."""
    with av.open(path, metadata_errors="ignore") as container:
        stream = container.streams.audio[0]
        total = _duration(container, stream) or 0
        # Unknown length: a column per 50 ms, so memory still grows only with the peak count.
        per_column = (max(1, int(total * WAVEFORM_RATE) // WAVEFORM_COLUMNS) if total
                      else WAVEFORM_RATE // 20)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=WAVEFORM_RATE)
        peaks: list[int] = []
        peak = count = 0
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                peak, count = _fold(out, peaks, peak, count, per_column)
        for out in resampler.resample(None):
            peak, count = _fold(out, peaks, peak, count, per_column)
        if count:
            peaks.append(peak)
    return _draw(peaks, size)


def _fold(frame: Any, peaks: list[int], peak: int, count: int, per_column: int) -> tuple[int, int]:
    """Fold one frame of 16-bit mono samples into per-column peaks; keeps only the peaks."""
    samples = memoryview(bytes(frame.planes[0])).cast("h")[: frame.samples]
    i, n = 0, len(samples)
    while i < n:
        take = min(per_column - count, n - i)
        chunk = samples[i:i + take]
        peak = max(peak, max(chunk), -min(chunk))
        count += take
        i += take
        if count >= per_column:
            peaks.append(peak)
            peak = count = 0
    return peak, count


def _draw(peaks: list[int], size: tuple[int, int]) -> Image.Image:
    width, height = size
    im = Image.new("RGB", size, WAVEFORM_BG)
    draw = ImageDraw.Draw(im)
    middle = height // 2
    draw.line([(0, middle), (width, middle)], fill=WAVEFORM_FG, width=max(1, height // 200))
    if peaks:
        loudest = max(max(peaks), 1)
        step = width / len(peaks)
        bar = max(1, int(step * 0.7))
        for n, value in enumerate(peaks):
            half = max(1, int(value / loudest * (height * 0.45)))
            x = int(n * step)
            draw.rectangle([x, middle - half, x + bar - 1, middle + half], fill=WAVEFORM_FG)
    return im


def make_renditions(path: str, media_type: str, sizes: dict[str, int], quality: int = 85) -> list[imaging.Rendered]:
    """A poster frame (video) or waveform (audio) made into the named JPEG sizes."""
    picture = poster_frame(path) if media_type == "video" else waveform(path)
    return imaging.renditions_from_image(imaging.to_srgb(picture), sizes, quality)
