"""Pictures of classroom moments: thumbnails of photos, poster frames of videos, the placeholder of a video without a
poster, and serving a video in byte ranges (phones' players ask for ranges and will not play without them).

- A photo's thumbnail: the EXIF orientation applied (a phone's portrait photo stays upright), the longest side at most
  THUMBNAIL_SIDE px, re-encoded as JPEG (any metadata — GPS position included — is left behind). The photo's own
  width and height (as shown, after orientation) are what the moment records.
- A video's poster: the page draws the first frame on a canvas and uploads it as a PNG beside the video. The server
  checks it by content as an image and keeps its thumbnail as the video's preview; a video without one (an API
  client may omit it) is shown with `placeholder_png()`.

Decoding happens in memory, so images are refused beyond MAX_PIXELS (a decompression bomb) before they are decoded.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.core.files.base import File
from django.db.models.fields.files import FieldFile
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from afterschool.core.choices import MediaKind
from afterschool.core.errors import ValidationFailed
from afterschool.core.media import download_response

from .choices import MomentMediaKind
from .models import ChapterMaterial, MomentMedia

__all__ = [
    "MAX_PIXELS", "THUMBNAIL_SIDE", "Thumbnail", "material_response", "moment_media_response", "placeholder_png",
    "posters_from", "ranged_response", "thumbnail",
]  # fmt: skip

THUMBNAIL_SIDE = 480
JPEG_QUALITY = 82
# 40 megapixels: more than any phone camera; far below what would exhaust memory when decoded.
MAX_PIXELS = 40_000_000
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Thumbnail:
    data: bytes  # JPEG
    width: int  # of the original picture, as shown (orientation applied)
    height: int
    thumb_width: int
    thumb_height: int


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed({field: [message]}, message=message, code="image_unreadable")


def thumbnail(source: bytes | IO[bytes] | File, *, field: str = "files", label: str = "图片") -> Thumbnail:
    """A JPEG thumbnail (longest side ≤ THUMBNAIL_SIDE) of a JPG or PNG already checked by content; refused as a
    field error when the picture cannot be decoded or is absurdly large."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    fp: Any = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    start = fp.tell() if fp.seekable() else 0
    try:
        with Image.open(fp) as image:
            width, height = image.size
            if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
                raise _refuse(field, f"{label}尺寸过大（最多 {MAX_PIXELS // 10_000} 万像素）")
            # A JPEG decodes at a fraction of its size when only a thumbnail is wanted.
            image.draft("RGB", (THUMBNAIL_SIDE * 2, THUMBNAIL_SIDE * 2))
            oriented = ImageOps.exif_transpose(image)
            if oriented is None:  # pragma: no cover - only with in_place=True
                oriented = image
            shown_width, shown_height = _oriented_size(image, width, height)
            picture = _flatten(oriented)
            picture.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            picture.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
            return Thumbnail(out.getvalue(), shown_width, shown_height, picture.width, picture.height)
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError, EOFError):
        raise _refuse(field, f"{label}无法读取（文件可能已损坏）") from None
    except Exception:  # noqa: BLE001 - a decoder's own error on hostile bytes is a refusal, never a 500
        raise _refuse(field, f"{label}无法读取（文件可能已损坏）") from None
    finally:
        if fp.seekable():
            fp.seek(start)


def _oriented_size(image: Any, width: int, height: int) -> tuple[int, int]:
    """The full picture's size as shown: EXIF orientations 5–8 turn it by 90°."""
    try:
        orientation = image.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block is not worth refusing the photo for
        orientation = 1
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _flatten(image: Any) -> Any:
    """RGB for JPEG: transparency over white, palettes and greyscale expanded."""
    from PIL import Image

    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


_POSTER_FIELD = re.compile(r"^poster_(\d{1,3})$")


def posters_from(files: Mapping[str, Any]) -> dict[int, Any]:
    """The poster frames of an upload (`poster_<n>` beside the n-th file, 0-based), by file index."""
    found: dict[int, Any] = {}
    for key in files:
        match = _POSTER_FIELD.match(key)
        if match is not None and files[key]:
            found[int(match.group(1))] = files[key]
    return found


@functools.cache
def placeholder_png() -> bytes:
    """A neutral 16:9 grey picture with a play mark: the preview of a video that came without a poster frame."""
    from PIL import Image, ImageDraw

    width, height = THUMBNAIL_SIDE, THUMBNAIL_SIDE * 9 // 16
    image = Image.new("RGB", (width, height), (224, 229, 235))
    draw = ImageDraw.Draw(image)
    cx, cy, r = width // 2, height // 2, height // 6
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(97, 110, 124))
    draw.polygon([(cx - r // 3, cy - r // 2), (cx - r // 3, cy + r // 2), (cx + r // 2, cy)], fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def placeholder_response() -> HttpResponse:
    response = HttpResponse(placeholder_png(), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    return response


# --- video in byte ranges ---------------------------------------------------------------------------------------

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _parse_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """(first, last) of one satisfiable range; None when there is no usable Range header (send it all); False when
    it cannot be satisfied (416)."""
    match = _RANGE.match(header.strip()) if header else None
    if match is None:
        return None  # absent, several ranges or another unit: the whole file is a valid answer
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # the last N bytes
        n = int(last_text)
        if n == 0:
            return False
        return max(size - n, 0), size - 1
    first = int(first_text)
    last = min(int(last_text), size - 1) if last_text else size - 1
    if first >= size or last < first:
        return False
    return first, last


def _stream(field_file: FieldFile, first: int, last: int) -> Iterator[bytes]:
    handle = field_file.open("rb")
    try:
        handle.seek(first)
        left = last - first + 1
        while left > 0:
            chunk = handle.read(min(_CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()


def ranged_response(
    field_file: FieldFile, *, filename: str, content_type: str, range_header: str = ""
) -> HttpResponseBase:
    """Serve a stored file inline; a single byte range (Range: bytes=a-b) gets a 206 with that part only."""
    size = field_file.size
    wanted = _parse_range(range_header, size)
    if wanted is None:
        response: HttpResponseBase = download_response(
            field_file, filename=filename, content_type=content_type, inline=True
        )
        response["Accept-Ranges"] = "bytes"
        return response
    if wanted is False:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        refused["Accept-Ranges"] = "bytes"
        return refused
    assert isinstance(wanted, tuple)
    first, last = wanted
    response = StreamingHttpResponse(_stream(field_file, first, last), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response


# --- serving ---------------------------------------------------------------------------------------------------------


def moment_media_response(media: MomentMedia, *, preview: bool, range_header: str = "") -> HttpResponseBase:
    """A moment's photo or video inline (a video in byte ranges), or its preview: a photo's thumbnail, a video's
    poster frame, or the placeholder for a video without one."""
    stem = f"课堂风采-{media.moment_id}-{media.position + 1}"
    if preview:
        if media.preview:
            return download_response(media.preview, filename=f"{stem}-预览.jpg", content_type="image/jpeg", inline=True)
        if media.kind == MomentMediaKind.VIDEO:
            return placeholder_response()
    extension = media.file.name.rsplit(".", 1)[-1]
    if media.kind == MomentMediaKind.VIDEO:
        return ranged_response(
            media.file, filename=f"{stem}.{extension}", content_type=media.content_type, range_header=range_header
        )
    return download_response(media.file, filename=f"{stem}.{extension}", content_type=media.content_type, inline=True)


def material_response(material: ChapterMaterial, *, range_header: str = "") -> HttpResponseBase:
    """A chapter material: documents download; pictures show in the browser; audio and video play (byte ranges)."""
    extension = material.file.name.rsplit(".", 1)[-1]
    filename = f"{material.title}.{extension}"
    if material.media_kind in (MediaKind.AUDIO, MediaKind.VIDEO):
        return ranged_response(
            material.file, filename=filename, content_type=material.content_type, range_header=range_header
        )
    inline = material.media_kind == MediaKind.IMAGE
    return download_response(material.file, filename=filename, content_type=material.content_type, inline=inline)
