"""Uploaded media: recognise the JY/T 0650 formats by CONTENT, enforce size limits, serve downloads safely.

Accepted formats (DESIGN.md): documents pdf/docx/pptx/xlsx, images jpg/png, audio mp3/aac, video mp4 with
H.264 video and AAC audio. The file name and the client's content type are never trusted: `sniff` looks at the
bytes, `check_upload` additionally requires the name's extension to agree with what the bytes are.

Files may be large and spooled to disk, so everything here reads with seeks and small reads; nothing is
extracted or loaded whole into memory.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse

from afterschool.core.choices import MediaKind
from afterschool.core.errors import ValidationFailed

__all__ = ["DEFAULT_SIZE_LIMITS", "MediaInfo", "check_upload", "download_response", "size_limit", "sniff"]

_MB = 1024 * 1024
DEFAULT_SIZE_LIMITS: dict[str, int] = {
    MediaKind.DOCUMENT.value: 50 * _MB,
    MediaKind.IMAGE.value: 10 * _MB,
    MediaKind.AUDIO.value: 50 * _MB,
    MediaKind.VIDEO.value: 300 * _MB,
}

MAX_NAME_LENGTH = 200
# A zip whose members declare more than this many times the document limit is treated as a zip bomb.
ZIP_EXPANSION_FACTOR = 20
_MAX_ZIP_MEMBERS = 10_000
_MAX_BOXES = 10_000  # per container level of an MP4
_MAX_TRACKS = 64


@dataclass(frozen=True)
class MediaInfo:
    kind: str  # a MediaKind value
    extension: str  # canonical extension, without the dot
    content_type: str
    size: int


@dataclass(frozen=True)
class _Format:
    kind: str
    extension: str
    content_type: str
    label: str  # what the content is, in Chinese: "PNG 图片"
    extensions: frozenset[str]  # names that may carry it


_FORMATS: dict[str, _Format] = {
    f.extension: f
    for f in (
        _Format(MediaKind.DOCUMENT, "pdf", "application/pdf", "PDF 文档", frozenset({"pdf"})),
        _Format(
            MediaKind.DOCUMENT,
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "Word 文档",
            frozenset({"docx"}),
        ),
        _Format(
            MediaKind.DOCUMENT,
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "PowerPoint 演示文稿",
            frozenset({"pptx"}),
        ),
        _Format(
            MediaKind.DOCUMENT,
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Excel 表格",
            frozenset({"xlsx"}),
        ),
        _Format(MediaKind.IMAGE, "jpg", "image/jpeg", "JPG 图片", frozenset({"jpg", "jpeg"})),
        _Format(MediaKind.IMAGE, "png", "image/png", "PNG 图片", frozenset({"png"})),
        _Format(MediaKind.AUDIO, "mp3", "audio/mpeg", "MP3 音频", frozenset({"mp3"})),
        _Format(MediaKind.AUDIO, "aac", "audio/aac", "AAC 音频", frozenset({"aac"})),
        _Format(MediaKind.VIDEO, "mp4", "video/mp4", "MP4 视频", frozenset({"mp4"})),
    )
}

# What each kind accepts, for messages: "只接受 PDF、Word、PowerPoint、Excel 文档或 JPG、PNG 图片".
_KIND_ACCEPTS: dict[str, str] = {
    MediaKind.DOCUMENT.value: "PDF、Word、PowerPoint、Excel 文档",
    MediaKind.IMAGE.value: "JPG、PNG 图片",
    MediaKind.AUDIO.value: "MP3、AAC 音频",
    MediaKind.VIDEO.value: "MP4（H.264 视频、AAC 音频）视频",
}

_OFFICE_MAIN_PART = {"word/document.xml": "docx", "ppt/presentation.xml": "pptx", "xl/workbook.xml": "xlsx"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# ISO BMFF brands that are still images (HEIF/AVIF) or QuickTime, not MP4 video.
_NON_MP4_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis", b"qt  "})
_H264 = frozenset({b"avc1", b"avc3"})
_AAC = frozenset({b"mp4a"})
# objectTypeIndication values of an mp4a esds that are AAC (MPEG-4 audio, MPEG-2 AAC main/LC/SSR).
_AAC_OBJECT_TYPES = frozenset({0x40, 0x66, 0x67, 0x68})


class _Refused(Exception):
    """The content is recognisably a candidate format but is not acceptable; the message says why."""


# --- size limits ----------------------------------------------------------------------------------------


def size_limit(kind: str) -> int:
    """The upload limit in bytes for a media kind (settings.MEDIA_SIZE_LIMITS, defaults in code)."""
    limits = getattr(settings, "MEDIA_SIZE_LIMITS", None) or {}
    return int(limits.get(kind, DEFAULT_SIZE_LIMITS[kind]))


def _size_text(n: int) -> str:
    if n >= _MB:
        return f"{n / _MB:g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} 字节"


# --- reading --------------------------------------------------------------------------------------------


class _Reader:
    """Random access to a seekable binary file without loading it."""

    def __init__(self, fp: IO[bytes]) -> None:
        self.fp = fp
        fp.seek(0, os.SEEK_END)
        self.size = fp.tell()

    def read_at(self, offset: int, n: int) -> bytes:
        if offset < 0 or offset >= self.size or n <= 0:
            return b""
        self.fp.seek(offset)
        return self.fp.read(n)


def _as_file(data: bytes | IO[bytes]) -> IO[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(data))
    return data


def sniff(data: bytes | IO[bytes]) -> MediaInfo | None:
    """What accepted format the content is, judged by content only; None when it is not one we accept."""
    try:
        return _identify(_as_file(data))
    except _Refused:
        return None


def _identify(fp: IO[bytes]) -> MediaInfo | None:
    """Like sniff, but raises _Refused with a reason for recognisable yet unacceptable content."""
    start = fp.tell() if fp.seekable() else 0
    try:
        reader = _Reader(fp)
        ext = _identify_extension(reader)
    finally:
        fp.seek(start)
    if ext is None:
        return None
    fmt = _FORMATS[ext]
    return MediaInfo(kind=str(fmt.kind), extension=fmt.extension, content_type=fmt.content_type, size=reader.size)


def _identify_extension(r: _Reader) -> str | None:
    head = r.read_at(0, 32)
    if not head:
        return None
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _office(r)
    if head.startswith(b"\xff\xd8\xff") and len(head) > 3 and 0xC0 <= head[3] <= 0xFE:
        return "jpg"  # SOI followed by a marker
    if head.startswith(_PNG_SIGNATURE):
        return "png" if head[12:16] == b"IHDR" and head[8:12] == b"\x00\x00\x00\x0d" else None
    if head[4:8] == b"ftyp":
        return _mp4(r)
    if head.startswith(b"ID3"):
        return _after_id3(r, head)
    if _is_adts(head):
        return "aac"
    if _is_mp3_frame(head):
        return "mp3"
    return None


# --- documents ------------------------------------------------------------------------------------------


def _office(r: _Reader) -> str | None:
    try:
        with zipfile.ZipFile(r.fp) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error, KeyError):
        return None
    if len(infos) > _MAX_ZIP_MEMBERS:
        raise _Refused("压缩文档包含的文件过多，可能是恶意文件")
    declared = sum(info.file_size for info in infos)
    if declared > ZIP_EXPANSION_FACTOR * size_limit(MediaKind.DOCUMENT):
        raise _Refused("文档解压后的大小异常（疑似压缩炸弹），已拒绝")
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names:
        return None
    found = [ext for part, ext in _OFFICE_MAIN_PART.items() if part in names]
    if len(found) != 1:
        return None
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise _Refused("不接受含宏的 Office 文档，请另存为 .docx/.pptx/.xlsx 后再上传")
    return found[0]


# --- audio ----------------------------------------------------------------------------------------------


def _after_id3(r: _Reader, head: bytes) -> str | None:
    # ID3v2: "ID3", version (2 bytes, major < 0xFF), flags, 4-byte syncsafe size.
    if len(head) < 10 or head[3] == 0xFF or head[4] == 0xFF or any(b & 0x80 for b in head[6:10]):
        return None
    size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    end = 10 + size + (10 if head[5] & 0x10 else 0)
    # The audio follows the tag, possibly after some zero padding.
    following = r.read_at(end, 4096).lstrip(b"\x00")
    if _is_mp3_frame(following):
        return "mp3"
    if _is_adts(following):
        return "aac"
    return None


def _is_adts(b: bytes) -> bool:
    """An ADTS (AAC) header: 12-bit sync 0xFFF, layer 00, a valid sampling index and frame length."""
    if len(b) < 7 or b[0] != 0xFF or (b[1] & 0xF6) != 0xF0:
        return False
    sampling_index = (b[2] >> 2) & 0x0F
    frame_length = ((b[3] & 0x03) << 11) | (b[4] << 3) | (b[5] >> 5)
    return sampling_index < 13 and frame_length >= 7


def _is_mp3_frame(b: bytes) -> bool:
    """An MPEG audio layer III frame header: 11-bit sync, a real version, layer III, valid rates."""
    if len(b) < 4 or b[0] != 0xFF or (b[1] & 0xE0) != 0xE0:
        return False
    version = (b[1] >> 3) & 0x03
    layer = (b[1] >> 1) & 0x03
    bitrate_index = (b[2] >> 4) & 0x0F
    sampling_index = (b[2] >> 2) & 0x03
    return version != 0b01 and layer == 0b01 and bitrate_index != 0x0F and sampling_index != 0x03


# --- video (ISO base media file format) ---------------------------------------------------------------


def _boxes(r: _Reader, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """The boxes in [start, end): (type, payload start, box end). Supports 64-bit and to-end-of-file sizes."""
    pos = start
    count = 0
    while pos + 8 <= end:
        count += 1
        if count > _MAX_BOXES:
            raise _Refused("MP4 文件结构异常（盒子过多）")
        head = r.read_at(pos, 8)
        if len(head) < 8:
            raise _Refused("MP4 文件不完整")
        size, box_type = struct.unpack(">I4s", head)
        header = 8
        if size == 1:
            large = r.read_at(pos + 8, 8)
            if len(large) < 8:
                raise _Refused("MP4 文件不完整")
            (size,) = struct.unpack(">Q", large)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise _Refused("MP4 文件结构损坏或不完整")
        yield box_type, pos + header, pos + size
        pos += size


def _child(r: _Reader, start: int, end: int, box_type: bytes) -> tuple[int, int]:
    for found, payload, box_end in _boxes(r, start, end):
        if found == box_type:
            return payload, box_end
    raise _Refused(f"MP4 文件结构不完整（缺少 {box_type.decode('latin-1')}）")


def _fourcc(code: bytes) -> str:
    return "".join(c if c.isprintable() and c.isascii() else "?" for c in code.decode("latin-1")).strip() or "?"


def _mp4(r: _Reader) -> str | None:
    brand = r.read_at(8, 4)
    if brand in _NON_MP4_BRANDS:
        return None
    moov: tuple[int, int] | None = None
    for box_type, payload, box_end in _boxes(r, 0, r.size):
        if box_type == b"moov":
            moov = (payload, box_end)
            break
    if moov is None:
        raise _Refused("MP4 文件不完整（缺少 moov 信息）")
    video_tracks = 0
    tracks = 0
    for box_type, payload, box_end in _boxes(r, *moov):
        if box_type != b"trak":
            continue
        tracks += 1
        if tracks > _MAX_TRACKS:
            raise _Refused("MP4 文件的轨道过多")
        handler, entries = _track(r, payload, box_end)
        if handler == b"vide":
            video_tracks += 1
            for entry_type, _, _ in entries:
                if entry_type not in _H264:
                    raise _Refused(f"视频须为 H.264 编码（当前为 {_fourcc(entry_type)}）")
        elif handler == b"soun":
            for entry_type, entry_payload, entry_end in entries:
                if entry_type not in _AAC:
                    raise _Refused(f"音频须为 AAC 编码（当前为 {_fourcc(entry_type)}）")
                object_type = _mp4a_object_type(r, entry_payload, entry_end)
                if object_type is not None and object_type not in _AAC_OBJECT_TYPES:
                    raise _Refused(f"音频须为 AAC 编码（当前为 mp4a 0x{object_type:02x}）")
    if video_tracks == 0:
        raise _Refused("MP4 文件中没有视频轨道")
    return "mp4"


def _track(r: _Reader, start: int, end: int) -> tuple[bytes, list[tuple[bytes, int, int]]]:
    """A trak's handler type ('vide', 'soun', ...) and its sample entries (type, payload start, end)."""
    mdia = _child(r, start, end, b"mdia")
    hdlr = _child(r, *mdia, b"hdlr")
    handler = r.read_at(hdlr[0] + 8, 4)  # version/flags (4), pre_defined (4), handler_type (4)
    minf = _child(r, *mdia, b"minf")
    stbl = _child(r, *minf, b"stbl")
    stsd_start, stsd_end = _child(r, *stbl, b"stsd")
    # stsd: version/flags (4), entry_count (4), then the sample entries as boxes.
    return handler, list(_boxes(r, stsd_start + 8, stsd_end))


def _mp4a_object_type(r: _Reader, start: int, end: int) -> int | None:
    """The objectTypeIndication in an mp4a sample entry's esds, or None if it cannot be found."""
    # AudioSampleEntry: 6 reserved + 2 data_reference_index + 8 (version, revision, vendor) + 2 channels
    # + 2 sample size + 2 compression id + 2 packet size + 4 sample rate = 28 bytes; QuickTime v1/v2 add more.
    version = int.from_bytes(r.read_at(start + 8, 2) or b"\x00\x00", "big")
    skip = {0: 28, 1: 44, 2: 64}.get(version)
    if skip is None:
        return None
    try:
        esds_start, esds_end = _child(r, start + skip, end, b"esds")
    except _Refused:
        return None
    body = r.read_at(esds_start + 4, min(esds_end - esds_start - 4, 256))
    pos = 0

    def descriptor() -> tuple[int, int] | None:
        nonlocal pos
        if pos >= len(body):
            return None
        tag = body[pos]
        pos += 1
        length = 0
        for _ in range(4):
            if pos >= len(body):
                return None
            byte = body[pos]
            pos += 1
            length = (length << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        return tag, length

    es = descriptor()
    if es is None or es[0] != 0x03 or pos + 3 > len(body):
        return None
    flags = body[pos + 2]
    pos += 3
    if flags & 0x80:
        pos += 2
    if flags & 0x40:
        if pos >= len(body):
            return None
        pos += 1 + body[pos]
    if flags & 0x20:
        pos += 2
    config = descriptor()
    if config is None or config[0] != 0x04 or pos >= len(body):
        return None
    return body[pos]


# --- uploads --------------------------------------------------------------------------------------------


def _accepted_text(kinds: Collection[str]) -> str:
    parts = [_KIND_ACCEPTS[k] for k in MediaKind.values if k in kinds]
    if len(parts) == 1:
        return parts[0]
    return "，".join(parts[:-1]) + "或 " + parts[-1]


def _name_problem(name: str) -> str | None:
    if not name:
        return "文件名不能为空"
    if len(name) > MAX_NAME_LENGTH:
        return f"文件名过长（最多 {MAX_NAME_LENGTH} 个字符）"
    if any(c in name for c in "/\\\x00") or any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        return "文件名不能包含路径分隔符或控制字符"
    if name.strip(". ") == "":
        return "文件名无效"
    return None


def check_upload(upload: UploadedFile, *, kinds: Collection[str], field: str = "file") -> MediaInfo:
    """Check an uploaded file: name, size, format by content, kind allowed here, extension matches content.

    Raises ValidationFailed({field: [message]}) in Chinese; returns what the file is. The file position is left
    at the start so it can be saved right away.
    """
    unknown = set(kinds) - set(MediaKind.values)
    if not kinds or unknown:
        raise ValueError(f"kinds must be MediaKind values, got {sorted(kinds)!r}")

    def refuse(message: str) -> ValidationFailed:
        return ValidationFailed({field: [message]}, message=message)

    name = upload.name or ""
    if problem := _name_problem(name):
        raise refuse(problem)
    size = upload.size or 0
    if size <= 0:
        raise refuse("文件为空")
    largest = max(size_limit(k) for k in kinds)
    if size > largest:
        raise refuse(f"文件过大：不能超过 {_size_text(largest)}")
    accepted = _accepted_text(kinds)
    fp = upload.file
    if fp is None:
        raise refuse("文件为空")
    fp.seek(0)
    try:
        info = _identify(fp)
    except _Refused as refused:
        raise refuse(str(refused)) from None
    finally:
        fp.seek(0)
    if info is None:
        raise refuse(f"不支持的文件格式：只接受 {accepted}")
    if info.kind not in kinds:
        label = _FORMATS[info.extension].label
        raise refuse(f"此处不接受 {label}：只接受 {accepted}")
    limit = size_limit(info.kind)
    if info.size > limit:
        raise refuse(f"文件过大：{MediaKind(info.kind).label}不能超过 {_size_text(limit)}")
    fmt = _FORMATS[info.extension]
    stem, dot, extension = name.rpartition(".")
    extension = extension.lower() if dot and stem else ""
    if extension not in fmt.extensions:
        if not extension:
            raise refuse(f"文件名缺少扩展名：文件内容是 {fmt.label}，扩展名应为 .{fmt.extension}")
        raise refuse(f"文件内容是 {fmt.label}，与扩展名 .{extension} 不符")
    return info


# --- downloads ------------------------------------------------------------------------------------------


def _safe_filename(filename: str) -> str:
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if ord(c) >= 0x20 and ord(c) != 0x7F).strip()
    return cleaned or "download"


def download_response(field_file: FieldFile, *, filename: str, content_type: str, inline: bool = False) -> FileResponse:
    """Stream a stored file with a UTF-8 (RFC 5987) file name; the browser must not guess the type."""
    response = FileResponse(
        field_file.open("rb"),
        as_attachment=not inline,
        filename=_safe_filename(filename),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response
