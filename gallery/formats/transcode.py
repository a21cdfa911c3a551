"""Web proxies with PyAV: H.264/AAC MP4 (faststart) for video, every size from one decode with the poster; AAC M4A for audio."""
from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

import av
from mutagen.mp4 import MP4

from gallery.exceptions import UnsupportedMedia
from gallery.formats import hdr, imaging
from gallery.formats.captions import mp4 as mp4_xmp
from gallery.formats.credits import Credits, build_xmp

VIDEO_CODEC = "libx264"
AUDIO_CODEC = "aac"
# ffmpeg's own defaults for libx264 (and what `ffmpeg -c:v libx264` gives), with High profile asked.
X264_OPTIONS = {"preset": "medium", "crf": "23", "profile": "high"}
AUDIO_BIT_RATE = 128_000
AUDIO_RATES = (44100, 48000)  # kept as they are; anything else is resampled to 48 kHz
MAX_FPS = 60  # slow-motion phone clips (120/240 fps) play at 60 on the web: frames are dropped
DEFAULT_FPS = Fraction(30)
POSTER_AT = 0.10  # fraction of the duration: past fades from black, still the opening shot
POSTER_QUALITY = 90
SCALE_FLAGS = "bicubic"  # the scale filter's default in the ffmpeg command line, so the bench compares like with like

BT709, BT2020 = 1, (9, 10)  # AVColorSpace (and primaries, transfer) numbers: BT.709; BT.2020 NCL, CL
Progress = Callable[[float], None]
T = TypeVar("T")
K = TypeVar("K")


@dataclass(frozen=True)
class ProxyFacts:
    """What a proxy pass made: the file's size and shape, its codecs, and the poster it saw."""

    width: int | None
    height: int | None
    duration: float
    bytes: int
    video_codec: str | None
    audio_codec: str | None
    frame_rate: float | None = None
    poster: bytes | None = None  # JPEG at the proxy's size, from about 10 % in (video only)


def video_proxy(src_path: str, dest_path: str, *, height: int = 720, credits: Credits | None = None,
                progress: Progress | None = None, threads: int = 0) -> ProxyFacts:
    """A web MP4 of a video: H.264 High yuv420p CRF 23, AAC stereo 128 kb/s, upright, never upscaled.

    `height` is the short edge asked for (720 or 1080): a landscape source gets that height, a
    portrait one that width, and never more than the source has. No tag of the source is copied;
    `credits` become ©nam/©cmt/©ART/cprt and an XMP box. A source without sound gets no audio track. `threads`
    is per codec (decoder, scaler, encoder); 0 lets each choose. Raises UnsupportedMedia when the
    source cannot be decoded; `dest_path` is then left untouched.
    """
    return video_proxies(src_path, {height: dest_path}, credits=credits, progress=progress,
                         threads=threads)[height]


def video_proxies(src_path: str, dests: Mapping[int, str], *, credits: Credits | None = None,
                  progress: Progress | None = None, threads: int = 0) -> dict[int, ProxyFacts]:
    """Several web MP4s of one video (short edge -> dest path, as video_proxy) from a single decode.

    Each decoded frame feeds every output's scaler and encoder, each decoded audio frame every
    output's AAC encoder. The poster is taken on the largest output. Every file is written beside
    its dest and all are renamed into place only when all are complete: on failure no dest changes.
    """
    if not dests:
        raise ValueError("video_proxies needs at least one output")
    return _write_all_atomically(dict(dests), lambda tmps: {
        height: _with_xmp(tmps[height], credits, facts)
        for height, facts in _VideoPass(src_path, tmps, credits, progress, threads).run().items()})


def audio_proxy(src_path: str, dest_path: str, *, credits: Credits | None = None,
                progress: Progress | None = None, threads: int = 0) -> ProxyFacts:
    """An AAC 128 kb/s stereo M4A of the first audio stream: no source tag or cover picture copied."""
    return _write_atomically(dest_path, lambda tmp: _with_xmp(
        tmp, credits, _audio_pass(src_path, tmp, credits, progress, threads)))


def rewrite_credits(path: str, credits: Credits) -> bool:
    """Make a file's ©nam/©cmt/©ART/cprt atoms and XMP box say `credits`, without re-encoding; False if they already do.

    The file is copied beside itself, its tags rewritten there with mutagen (which moves the media
    data and fixes the chunk offsets if the moov box grows, so `faststart` stays), its XMP box
    appended (captions/mp4.py), and renamed into place: a reader never sees a half-written file.
    """
    wanted = {ATOMS[k]: v for k, v in _credit_tags(credits).items()}
    current = MP4(path).tags or {}
    if {atom: list(current.get(atom, [])) for atom in ATOMS.values()} == {
            atom: [wanted[atom]] if atom in wanted else [] for atom in ATOMS.values()} and (
            mp4_xmp.current_xmp(path) == build_xmp(credits)):
        return False

    def rewrite(tmp: str) -> None:
        shutil.copyfile(path, tmp)
        copy = MP4(tmp)
        if copy.tags is None:
            copy.add_tags()
        for atom in ATOMS.values():
            copy.tags.pop(atom, None)
        copy.tags.update({atom: [value] for atom, value in wanted.items()})
        copy.save()
        mp4_xmp.append_xmp(tmp, credits)

    _write_atomically(path, rewrite)
    return True


# --- Plumbing shared by both ------------------------------------------------------------

def _with_xmp(path: str, credits: Credits | None, facts: ProxyFacts) -> ProxyFacts:
    """The muxed file with the credits' XMP box appended (the muxer writes the atoms only)."""
    if credits is None:
        return facts
    mp4_xmp.append_xmp(path, credits)
    return dataclasses.replace(facts, bytes=os.path.getsize(path))


def _write_atomically(dest_path: str, make: Callable[[str], T]) -> T:
    """Write into a temporary file beside dest and rename it into place only when complete."""
    return _write_all_atomically({0: dest_path}, lambda tmps: make(tmps[0]))


def _write_all_atomically(dests: dict[K, str], make: Callable[[dict[K, str]], T]) -> T:
    """Write each file into a temporary one beside its dest; rename them all into place only when all are complete."""
    # A fresh hidden name beside each dest (same filesystem, so the rename is atomic); the muxer
    # creates it, so the file gets the usual umask permissions rather than mkstemp's 0600.
    tmps = {k: os.path.join(os.path.dirname(os.path.abspath(dest)),
                            f".{os.path.basename(dest)}.{secrets.token_hex(8)}.part")
            for k, dest in dests.items()}
    try:
        facts = make(tmps)
        for k, dest in dests.items():
            os.replace(tmps[k], dest)
    except BaseException:
        for tmp in tmps.values():
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        raise
    return facts


def _open_source(src_path: str) -> Any:
    try:
        return av.open(src_path, metadata_errors="ignore")
    except (av.FFmpegError, ValueError, UnicodeDecodeError) as exc:
        raise UnsupportedMedia("This file is not a video or audio file we can read, or it is damaged.") from exc


def _open_output(path: str, fmt: str, credits: Credits | None) -> Any:
    out = av.open(path, "w", format=fmt, options={"movflags": "+faststart"})
    if credits is not None:
        out.metadata.update(_credit_tags(credits))
    return out


# The mp4 muxer's metadata keys and the atoms it writes them as (what rewrite_credits edits).
ATOMS = {"title": "\xa9nam", "comment": "\xa9cmt", "artist": "\xa9ART", "copyright": "cprt"}


def _credit_tags(credits: Credits) -> dict[str, str]:
    """The mp4 muxer writes these keys as the ©nam, ©cmt, ©ART and cprt atoms."""
    rights = credits.copyright
    if credits.credit and credits.credit not in rights:
        rights = f"{rights} / {credits.credit}" if rights else credits.credit
    tags = {"title": credits.title, "comment": credits.caption, "artist": credits.creator, "copyright": rights}
    return {k: v[:2000] for k, v in tags.items() if v}


def _source_duration(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    return None


def _decode(container: Any, streams: list[Any]) -> Iterator[Any]:
    """Frames of the given streams in file order; a damaged packet is skipped as ffmpeg would."""
    for packet in container.demux(*streams):
        try:
            yield from packet.decode()
        except av.InvalidDataError:
            continue


class _ProgressTicker:
    """Calls progress(fraction) at most once per whole percent."""

    def __init__(self, progress: Progress | None, total: float | None) -> None:
        self.progress, self.total, self.last = progress, total, -1

    def at(self, seconds: float) -> None:
        if self.progress is None or not self.total:
            return
        percent = min(99, int(100 * seconds / self.total))
        if percent > self.last:
            self.last = percent
            self.progress(percent / 100)

    def done(self) -> None:
        if self.progress is not None:
            self.progress(1.0)


class _AudioOut:
    """Resample any decoded audio to stereo float planes and encode it as AAC with running pts."""

    def __init__(self, out: Any, source: Any, threads: int) -> None:
        rate = source.codec_context.sample_rate
        self.rate = rate if rate in AUDIO_RATES else 48000
        self.stream = out.add_stream(AUDIO_CODEC, rate=self.rate)
        self.stream.layout = "stereo"
        self.stream.bit_rate = AUDIO_BIT_RATE
        self.stream.codec_context.thread_count = threads
        self.resampler = av.AudioResampler(format="fltp", layout="stereo", rate=self.rate, frame_size=1024)
        self.out = out
        self.samples = 0

    def add(self, frame: Any | None) -> None:
        for chunk in self.resampler.resample(frame):
            chunk.pts = self.samples
            chunk.time_base = Fraction(1, self.rate)
            self.samples += chunk.samples
            self.out.mux(self.stream.encode(chunk))

    def finish(self) -> None:
        self.add(None)
        self.out.mux(self.stream.encode(None))


# --- Video ------------------------------------------------------------------------------

def output_size(width: int, height: int, sar: Fraction | None, rotation: int, short_edge: int) -> tuple[int, int]:
    """Upright, square-pixel, even dimensions with the display aspect kept and the short edge at most `short_edge`."""
    display_w = width * sar if sar else Fraction(width)
    display_h = Fraction(height)
    if rotation % 180 == 90:
        display_w, display_h = display_h, display_w
    short = min(display_w, display_h)
    scale = min(Fraction(1), Fraction(short_edge) / short)
    w, h = display_w * scale, display_h * scale
    return max(2, round(w / 2) * 2), max(2, round(h / 2) * 2)


def proxy_heights(width: int, height: int) -> tuple[int, ...]:
    """The proxies worth making for a video of this (upright) size: always 720, 1080 when it has that."""
    return (720, 1080) if min(width, height) >= 1080 else (720,)


def _rotation(frame: Any) -> int:
    """Counter-clockwise degrees the display matrix asks for, as 0, 90, 180 or 270."""
    return round(float(getattr(frame, "rotation", 0) or 0) / 90) * 90 % 360


class _VideoOut:
    """One proxy of a pass: its muxer, filter graph (turn, tone-map, scale), encoders and CFR slots."""

    def __init__(self, dest: str, short_edge: int, credits: Credits | None, threads: int,
                 fps: Fraction, audio: Any | None, poster_at: float | None) -> None:
        self.dest, self.short_edge, self.threads, self.fps = dest, short_edge, threads, fps
        self.poster_at = poster_at  # None: another output of the pass keeps the poster
        self.poster: bytes | None = None
        self.graph: Any = None
        self.next_index = 0  # the next output frame number (constant frame rate)
        self.start: float | None = None
        self.out = _open_output(dest, "mp4", credits)
        try:
            # Streams must exist before the first packet is written; the video encoder needs the
            # first frame (rotation, format), so the audio is held back until then.
            self.vstream = self.out.add_stream(VIDEO_CODEC, rate=fps, options=dict(X264_OPTIONS))
            self.vstream.pix_fmt = "yuv420p"
            self.vstream.codec_context.time_base = 1 / fps
            self.vstream.codec_context.thread_count = threads
            # Frame threads, as the ffmpeg command line gives x264: sliced threads (PyAV's default
            # thread type) cost compression for no gain in a batch encode.
            self.vstream.codec_context.thread_type = "AUTO"
            self.sound = _AudioOut(self.out, audio, threads) if audio is not None else None
        except BaseException:
            self.out.close()
            raise

    def setup(self, frame: Any) -> None:
        rotation = _rotation(frame)
        sar = frame.sample_aspect_ratio if hasattr(frame, "sample_aspect_ratio") else None
        width, height = output_size(frame.width, frame.height, sar, rotation, self.short_edge)
        self.vstream.width, self.vstream.height = width, height
        self.start = frame.time or 0.0
        graph = av.filter.Graph()
        tb = frame.time_base or Fraction(1, 90000)
        ratio = sar if sar else Fraction(1)
        chain = [graph.add("buffer", f"video_size={frame.width}x{frame.height}:pix_fmt={frame.format.name}"
                                     f":time_base={tb.numerator}/{tb.denominator}"
                                     f":pixel_aspect={ratio.numerator}/{ratio.denominator}")]
        # PyAV reports the rotation counter-clockwise; transpose=cclock turns the picture that way.
        if rotation == 90:
            chain.append(graph.add("transpose", "cclock"))
        elif rotation == 270:
            chain.append(graph.add("transpose", "clock"))
        elif rotation == 180:
            chain += [graph.add("hflip"), graph.add("vflip")]
        # 10-bit sources: swscale dithers them down to 8-bit. A BT.2020 one is converted to BT.709
        # Y'CbCr and tagged so; an HDR one (PQ or HLG) is also tone-mapped by a 3D LUT on its
        # R'G'B' (gallery.formats.hdr), or its highlights clip and the picture looks grey and flat.
        # Anything else is scaled exactly as the ffmpeg command line scales it, so the bench
        # compares like with like.
        scale = f"{width}:{height}:flags={SCALE_FLAGS}:threads={self.threads}"
        if int(frame.colorspace) in BT2020:
            ctx = self.vstream.codec_context
            ctx.colorspace, ctx.color_primaries, ctx.color_trc = BT709, BT709, BT709
            if hdr.is_hdr(int(frame.color_trc)):
                chain += [graph.add("scale", scale + ":in_color_matrix=bt2020"),
                          graph.add("format", "gbrp16le"),
                          graph.add("lut3d", f"file={hdr.cube_path(int(frame.color_trc))}:interp=tetrahedral"),
                          graph.add("scale", f"flags={SCALE_FLAGS}:out_color_matrix=bt709:out_range=tv")]
            else:
                chain.append(graph.add("scale", scale + ":in_color_matrix=bt2020:out_color_matrix=bt709"))
        else:
            chain.append(graph.add("scale", scale))
        chain += [graph.add("format", "yuv420p"), graph.add("setsar", "1"), graph.add("buffersink")]
        for a, b in zip(chain, chain[1:]):
            a.link_to(b)
        graph.configure()
        self.graph = graph

    def push(self, frame: Any | None) -> None:
        """A decoded frame into the graph (None flushes it), and whatever comes out into the encoder."""
        self.graph.push(frame)
        while True:
            try:
                scaled = self.graph.pull()
            except (BlockingIOError, av.EOFError):  # needs more input / flushed
                return
            self._emit(scaled)

    def finish(self) -> None:
        self.push(None)
        self.out.mux(self.vstream.encode(None))
        if self.sound is not None:
            self.sound.finish()

    def _emit(self, frame: Any) -> None:
        """Constant frame rate: each frame fills the output slots up to its time (repeat or drop)."""
        t = (frame.time if frame.time is not None else float(self.next_index / self.fps)) - (self.start or 0.0)
        # The slot this frame belongs in, rounded as ffmpeg's cfr sync does.
        slot = round(t * self.fps)
        if slot < self.next_index:
            if self.next_index > 0:
                return  # too late for its slot: dropped (a faster source, or a late timestamp)
            slot = 0
        count = slot - self.next_index + 1
        # The decoder tags each frame with the source's picture type, and libx264 obeys it as a
        # forced type: left as is, the source's GOP would be imposed on x264 (double the bitrate at
        # the same CRF in the bench). The ffmpeg command line clears it too.
        frame.pict_type = av.video.frame.PictureType.NONE
        for _ in range(count):
            frame.pts = self.next_index
            frame.time_base = 1 / self.fps
            if (self.poster is None and self.poster_at is not None
                    and float(self.next_index / self.fps) >= self.poster_at):
                self.poster = imaging.encode_jpeg(frame.to_image(), POSTER_QUALITY)
            self.out.mux(self.vstream.encode(frame))
            self.next_index += 1

    def facts(self) -> ProxyFacts:
        return ProxyFacts(width=self.vstream.width, height=self.vstream.height,
                          duration=round(float(self.next_index / self.fps), 3),
                          bytes=os.path.getsize(self.dest), video_codec="h264",
                          audio_codec=AUDIO_CODEC if self.sound is not None else None,
                          frame_rate=round(float(self.fps), 3), poster=self.poster)


class _VideoPass:
    """One decode feeding every proxy's scaler and encoders; each output is built from the first frame."""

    def __init__(self, src: str, dests: dict[int, str], credits: Credits | None,
                 progress: Progress | None, threads: int) -> None:
        self.src, self.dests = src, dests
        self.credits, self.threads = credits, threads
        self.progress = progress

    def run(self) -> dict[int, ProxyFacts]:
        container = _open_source(self.src)
        try:
            return self._run(container)
        except (av.FFmpegError, ValueError, UnicodeDecodeError) as exc:
            if isinstance(exc, av.FFmpegError) and isinstance(exc, OSError) and exc.errno in (28, 13, 30):
                raise  # disk full, permission, read-only: our storage, not the source's fault
            raise UnsupportedMedia("This video could not be converted for the web: it is damaged or "
                                   "uses a format we cannot decode.") from exc
        finally:
            container.close()

    def _run(self, container: Any) -> dict[int, ProxyFacts]:
        video = next((s for s in container.streams.video
                      if not s.disposition & av.stream.Disposition.attached_pic), None)
        if video is None:
            raise UnsupportedMedia("This file has no video stream to convert.")
        audio = next(iter(container.streams.audio), None)
        video.thread_type = "AUTO"
        video.codec_context.thread_count = self.threads
        rate = video.average_rate or video.guessed_rate or DEFAULT_FPS
        fps = Fraction(rate).limit_denominator(1001)
        if fps > MAX_FPS or fps <= 0:
            fps = Fraction(MAX_FPS) if fps > MAX_FPS else DEFAULT_FPS
        total = _source_duration(container, video)
        ticker = _ProgressTicker(self.progress, total)
        largest = max(self.dests)  # the poster is taken from the sharpest picture of the pass
        with contextlib.ExitStack() as stack:
            outs: dict[int, _VideoOut] = {}
            for edge, dest in sorted(self.dests.items()):
                out = _VideoOut(dest, edge, self.credits, self.threads, fps, audio,
                                (total or 0) * POSTER_AT if edge == largest else None)
                stack.callback(out.out.close)
                outs[edge] = out
            started = False
            held: list[Any] = []
            for frame in _decode(container, [video] + ([audio] if audio is not None else [])):
                if isinstance(frame, av.AudioFrame):
                    if not started:
                        held.append(frame)
                    else:
                        for out in outs.values():
                            if out.sound is not None:
                                out.sound.add(frame)
                    continue
                if not started:
                    for out in outs.values():
                        out.setup(frame)
                        if out.sound is not None:
                            for early in held:
                                out.sound.add(early)
                    started, held = True, []
                for out in outs.values():
                    out.push(frame)
                if frame.time is not None:
                    ticker.at(frame.time - (outs[largest].start or 0))
            if not started:
                raise UnsupportedMedia("No frame of this video could be decoded: it is damaged or "
                                       "uses a format we cannot read.")
            for out in outs.values():
                out.finish()
        ticker.done()
        return {edge: out.facts() for edge, out in outs.items()}


# --- Audio ------------------------------------------------------------------------------

def _audio_pass(src: str, dest: str, credits: Credits | None, progress: Progress | None,
                threads: int) -> ProxyFacts:
    container = _open_source(src)
    try:
        audio = next(iter(container.streams.audio), None)
        if audio is None:
            raise UnsupportedMedia("This file has no audio stream to convert.")
        audio.codec_context.thread_count = threads
        ticker = _ProgressTicker(progress, _source_duration(container, audio))
        out = _open_output(dest, "ipod", credits)  # ipod: the mp4 muxer's M4A flavour
        try:
            sound = _AudioOut(out, audio, threads)
            for frame in _decode(container, [audio]):
                sound.add(frame)
                if frame.time is not None:
                    ticker.at(frame.time)
            if sound.samples == 0:
                raise UnsupportedMedia("No sound in this file could be decoded: it is damaged or "
                                       "uses a format we cannot read.")
            sound.finish()
        finally:
            out.close()
    except (av.FFmpegError, ValueError, UnicodeDecodeError) as exc:
        raise UnsupportedMedia("This audio could not be converted for the web: it is damaged or "
                               "uses a format we cannot decode.") from exc
    finally:
        container.close()
    ticker.done()
    return ProxyFacts(width=None, height=None, duration=round(sound.samples / sound.rate, 3),
                      bytes=os.path.getsize(dest), video_codec=None, audio_codec=AUDIO_CODEC)
