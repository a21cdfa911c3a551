"""Demo video and audio made in memory: a short sky clip (PyAV, H.264) and a chime (WAV)."""
from __future__ import annotations

import array
import io
import math
import wave
from fractions import Fraction

from PIL import Image, ImageDraw

VIDEO_SIZE = (480, 270)  # small: the demo must stay fast, and the player scales it up
VIDEO_FPS = 12
AUDIO_RATE = 22050


def clip(seconds: float = 3.0) -> bytes:
    """An MP4 (H.264) of a dawn sky whose gradient drifts as a sun rises. Same call, same bytes."""
    import av  # FFmpeg's libraries load on import; only `gallery demo` needs them, not every app start

    width, height = VIDEO_SIZE
    # One tall gradient, scrolled a little each frame: cheap, and it reads as a moving sky.
    sky = _gradient(width, height * 2, ((40, 50, 110), (230, 120, 90), (250, 210, 150)))
    frames = int(seconds * VIDEO_FPS)
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=VIDEO_FPS)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "28"}
        for n in range(frames):
            t = n / max(frames - 1, 1)
            offset = int(height * (1 - t))
            frame_im = sky.crop((0, offset, width, offset + height))
            draw = ImageDraw.Draw(frame_im)
            r = height // 9
            cx, cy = int(width * 0.62), int(height * (0.95 - 0.45 * t))
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 236, 180))
            draw.rectangle((0, int(height * 0.82), width, height), fill=(60, 48, 40))  # the horizon
            frame = av.VideoFrame.from_image(frame_im)
            frame.pts = n
            frame.time_base = Fraction(1, VIDEO_FPS)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def chime(seconds: float = 4.0) -> bytes:
    """A mono 16-bit WAV: two bell-like notes that fade, so the waveform has a shape."""
    total = int(seconds * AUDIO_RATE)
    half = total // 2
    samples = array.array("h")
    for i in range(total):
        start, freq = (0, 523.25) if i < half else (half, 659.25)  # C5, then E5
        age = (i - start) / AUDIO_RATE
        value = 0.6 * math.exp(-2.2 * age) * math.sin(2 * math.pi * freq * age)
        samples.append(int(value * 32767))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(AUDIO_RATE)
        out.writeframes(samples.tobytes())
    return buf.getvalue()


def _gradient(width: int, height: int, stops: tuple[tuple[int, int, int], ...]) -> Image.Image:
    """A vertical gradient through evenly spaced colour stops."""
    column = Image.new("RGB", (1, height))
    pixels = column.load()
    for y in range(height):
        pos = y / max(height - 1, 1) * (len(stops) - 1)
        i = min(int(pos), len(stops) - 2)
        f = pos - i
        pixels[0, y] = tuple(int(a + (b - a) * f) for a, b in zip(stops[i], stops[i + 1]))
    return column.resize((width, height))
