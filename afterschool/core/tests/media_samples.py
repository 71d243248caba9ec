"""Small sample files, valid and invalid, for tests of uploads (see afterschool/core/media.py).

    sample_bytes("png")            -> bytes of a 1x1 PNG
    sample_upload("mp4_hevc")      -> SimpleUploadedFile named "sample.mp4" holding an HEVC mp4

Valid: pdf, docx, pptx, xlsx, jpg, png, mp3, mp3_raw (no ID3 tag), aac, mp4, mp4_moov_last (moov after a
64-bit mdat). Invalid: mp4_hevc, mp4_mp3_audio, exe, zip, empty, fake_pdf (PNG bytes), zip_bomb, docm (macro),
text.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile

# --- documents ----------------------------------------------------------------------------------------------

_PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n"
)

_CT = "application/vnd.openxmlformats-officedocument"
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="{target}"/></Relationships>'
)


def _content_types(part: str, content_type: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>'
    )


def _zip(members: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            # A fixed timestamp, so the same sample is the same bytes whenever it is built.
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _office(part: str, content_type: str, body: str, extra: dict[str, str | bytes] | None = None) -> bytes:
    return _zip(
        {
            "[Content_Types].xml": _content_types(part, content_type),
            "_rels/.rels": _RELS.format(target=part),
            part: body,
            **(extra or {}),
        }
    )


def _docx() -> bytes:
    return _office(
        "word/document.xml",
        f"{_CT}.wordprocessingml.document.main+xml",
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>课后服务</w:t></w:r></w:p></w:body></w:document>",
    )


def _pptx() -> bytes:
    return _office(
        "ppt/presentation.xml",
        f"{_CT}.presentationml.presentation.main+xml",
        '<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>',
    )


def _xlsx() -> bytes:
    return _office(
        "xl/workbook.xml",
        f"{_CT}.spreadsheetml.sheet.main+xml",
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>',
    )


def _docm() -> bytes:
    return _office(
        "word/document.xml",
        "application/vnd.ms-word.document.macroEnabled.main+xml",
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>',
        {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\x00" * 60},
    )


def _zip_bomb() -> bytes:
    """A docx whose central directory declares ~4 GB per member (nothing is that big; nothing is extracted)."""
    data = bytearray(_docx())
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        data[pos + 24 : pos + 28] = struct.pack("<I", 0xF0000000)  # uncompressed size
        pos = data.find(b"PK\x01\x02", pos + 4)
    return bytes(data)


# --- images -------------------------------------------------------------------------------------------------


def _jpg() -> bytes:
    """A baseline 1x1 grey JPEG: one quantisation table, a one-symbol DC and AC Huffman table each."""

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

    app0 = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    dqt = segment(0xDB, b"\x00" + b"\x01" * 64)
    sof0 = segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00")
    # Tables: class/id, 16 code-length counts, symbols. One code of length 1 each ("0").
    dht_dc = segment(0xC4, b"\x00" + b"\x01" + b"\x00" * 15 + b"\x00")
    dht_ac = segment(0xC4, b"\x10" + b"\x01" + b"\x00" * 15 + b"\x00")
    sos = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    scan = b"\x3f"  # DC category 0 ("0"), end of block ("0"), padded with ones
    return b"\xff\xd8" + app0 + dqt + sof0 + dht_dc + dht_ac + sos + scan + b"\xff\xd9"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png() -> bytes:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + _png_chunk(b"IEND", b"")
    )


# --- audio --------------------------------------------------------------------------------------------------

# MPEG-1 layer III, 128 kbit/s, 44.1 kHz, no padding, joint stereo: 144 * 128000 / 44100 = 417 bytes per frame.
_MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 413


def _mp3_raw() -> bytes:
    return _MP3_FRAME * 2


def _mp3() -> bytes:
    id3 = b"ID3\x04\x00\x00" + b"\x00\x00\x00\x0a"  # ID3v2.4, tag body of 10 bytes (syncsafe)
    frame = b"TIT2" + b"\x00\x00\x00\x00" + b"\x00\x00"  # an empty title frame header
    return id3 + frame + _MP3_FRAME * 2


def _adts_frame(payload: bytes) -> bytes:
    length = 7 + len(payload)
    # sync 0xFFF, MPEG-4, layer 00, no CRC | AAC LC, 44.1 kHz (index 4), stereo | length, fullness 0x7FF.
    header = bytes(
        [
            0xFF,
            0xF1,
            (1 << 6) | (4 << 2) | (2 >> 2),
            ((2 & 0x3) << 6) | (length >> 11),
            (length >> 3) & 0xFF,
            ((length & 0x7) << 5) | 0x1F,
            0xFC,
        ]
    )
    return header + payload


def _aac() -> bytes:
    return _adts_frame(b"\x21\x00\x49\x90\x02\x19\x00\x23\x80") * 3


# --- video --------------------------------------------------------------------------------------------------


def _box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full(kind: bytes, payload: bytes = b"", version: int = 0, flags: int = 0) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags) + payload)


def _visual_entry(kind: bytes, config: bytes) -> bytes:
    return _box(
        kind,
        b"\x00" * 6
        + struct.pack(">H", 1)  # data_reference_index
        + b"\x00" * 16
        + struct.pack(">HH", 16, 16)  # width, height
        + struct.pack(">II", 0x00480000, 0x00480000)  # 72 dpi
        + b"\x00" * 4
        + struct.pack(">H", 1)  # frame_count
        + b"\x00" * 32  # compressorname
        + struct.pack(">Hh", 0x0018, -1)
        + config,
    )


def _avc1() -> bytes:
    sps = b"\x67\x42\xc0\x0a\xd9\x1e\x84\x00\x00\x03\x00\x04\x00\x00\x03\x00\xc8\x3c\x48\x99\x20"
    pps = b"\x68\xcb\x83\xcb\x20"
    avcc = b"\x01\x42\xc0\x0a\xff\xe1" + struct.pack(">H", len(sps)) + sps + b"\x01" + struct.pack(">H", len(pps)) + pps
    return _visual_entry(b"avc1", _box(b"avcC", avcc))


def _hvc1() -> bytes:
    return _visual_entry(b"hvc1", _box(b"hvcC", b"\x01" + b"\x00" * 22))


def _mp4a(object_type: int = 0x40) -> bytes:
    decoder_specific = b"\x05\x02\x12\x10"  # AAC LC, 44.1 kHz, stereo
    decoder_config = bytes([0x04, 13 + len(decoder_specific), object_type, 0x15]) + b"\x00" * 11 + decoder_specific
    sl_config = b"\x06\x01\x02"
    es = b"\x03" + bytes([3 + len(decoder_config) + len(sl_config)]) + b"\x00\x01\x00" + decoder_config + sl_config
    return _box(
        b"mp4a",
        b"\x00" * 6
        + struct.pack(">H", 1)
        + b"\x00" * 8
        + struct.pack(">HHHH", 2, 16, 0, 0)
        + struct.pack(">I", 44100 << 16)
        + _full(b"esds", es),
    )


def _trak(track_id: int, handler: bytes, entry: bytes) -> bytes:
    tkhd = _full(b"tkhd", struct.pack(">IIII", 0, 0, track_id, 0) + b"\x00" * 64, flags=3)
    mdhd = _full(b"mdhd", struct.pack(">IIIIHH", 0, 0, 1000, 0, 0x55C4, 0))
    hdlr = _full(b"hdlr", b"\x00" * 4 + handler + b"\x00" * 12 + b"handler\x00")
    media_header = _full(b"vmhd", b"\x00" * 8, flags=1) if handler == b"vide" else _full(b"smhd", b"\x00" * 4)
    dinf = _box(b"dinf", _full(b"dref", struct.pack(">I", 1) + _full(b"url ", flags=1)))
    stbl = _box(
        b"stbl",
        _full(b"stsd", struct.pack(">I", 1) + entry)
        + _full(b"stts", struct.pack(">I", 0))
        + _full(b"stsc", struct.pack(">I", 0))
        + _full(b"stsz", struct.pack(">II", 0, 0))
        + _full(b"stco", struct.pack(">I", 0)),
    )
    minf = _box(b"minf", media_header + dinf + stbl)
    return _box(b"trak", tkhd + _box(b"mdia", mdhd + hdlr + minf))


def _moov(video: bytes, audio: bytes) -> bytes:
    mvhd = _full(b"mvhd", struct.pack(">IIII", 0, 0, 1000, 0) + b"\x00\x01\x00\x00\x01\x00" + b"\x00" * 74)
    return _box(b"moov", mvhd + _trak(1, b"vide", video) + _trak(2, b"soun", audio))


_FTYP = _box(b"ftyp", b"isom" + struct.pack(">I", 0x200) + b"isomiso2avc1mp41")
_MDAT = _box(b"mdat", b"\x00" * 64)


def _mp4() -> bytes:
    return _FTYP + _moov(_avc1(), _mp4a()) + _MDAT


def _mp4_hevc() -> bytes:
    return _FTYP + _moov(_hvc1(), _mp4a()) + _MDAT


def _mp4_mp3_audio() -> bytes:
    return _FTYP + _moov(_avc1(), _mp4a(object_type=0x6B)) + _MDAT


def _mp4_moov_last() -> bytes:
    """Valid, with a 64-bit mdat (size field 1 + largesize) before the moov."""
    payload = b"\x00" * 64
    mdat64 = struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", 16 + len(payload)) + payload
    return _FTYP + b"\x00\x00\x00\x08free" + mdat64 + _moov(_avc1(), _mp4a())


# --- everything ---------------------------------------------------------------------------------------------

_BUILDERS: dict[str, Callable[[], bytes]] = {
    "pdf": lambda: _PDF,
    "docx": _docx,
    "pptx": _pptx,
    "xlsx": _xlsx,
    "jpg": _jpg,
    "png": _png,
    "mp3": _mp3,
    "mp3_raw": _mp3_raw,
    "aac": _aac,
    "mp4": _mp4,
    "mp4_moov_last": _mp4_moov_last,
    "mp4_hevc": _mp4_hevc,
    "mp4_mp3_audio": _mp4_mp3_audio,
    "exe": lambda: b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00",
    "zip": lambda: _zip({"readme.txt": "hello", "data/a.csv": "a,b\n1,2\n"}),
    "empty": lambda: b"",
    "fake_pdf": _png,
    "zip_bomb": _zip_bomb,
    "docm": _docm,
    "text": lambda: "课后服务 plain text\n".encode(),
}

_DEFAULT_NAMES = {
    "mp3_raw": "sample.mp3",
    "mp4_moov_last": "sample.mp4",
    "mp4_hevc": "sample.mp4",
    "mp4_mp3_audio": "sample.mp4",
    "empty": "empty.pdf",
    "fake_pdf": "fake.pdf",
    "zip_bomb": "bomb.docx",
    "docm": "macro.docx",
    "text": "notes.txt",
}

FORMATS = tuple(_BUILDERS)
VALID = ("pdf", "docx", "pptx", "xlsx", "jpg", "png", "mp3", "mp3_raw", "aac", "mp4", "mp4_moov_last")


def sample_bytes(fmt: str) -> bytes:
    """Bytes of a small sample file; see the module docstring for the formats."""
    try:
        return _BUILDERS[fmt]()
    except KeyError:
        raise ValueError(f"no media sample {fmt!r}; known: {', '.join(FORMATS)}") from None


def sample_upload(fmt: str, name: str | None = None) -> SimpleUploadedFile:
    """The sample as an uploaded file, named sample.<fmt> unless a name is given."""
    data = sample_bytes(fmt)
    return SimpleUploadedFile(name or _DEFAULT_NAMES.get(fmt, f"sample.{fmt}"), data)
