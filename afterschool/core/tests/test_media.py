"""Uploads are recognised by content (JY/T 0650 formats), limited in size, and served with safe headers."""

from __future__ import annotations

import io
import struct
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.db.models.fields.files import FieldFile, FileField

from afterschool.core.choices import MediaKind
from afterschool.core.errors import ValidationFailed
from afterschool.core.media import MediaInfo, check_upload, download_response, sniff
from afterschool.core.tests.media_samples import FORMATS, VALID, sample_bytes, sample_upload

ALL_KINDS = set(MediaKind.values)
EXPECTED = {
    "pdf": ("document", "pdf", "application/pdf"),
    "docx": ("document", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "pptx": ("document", "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "xlsx": ("document", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "jpg": ("image", "jpg", "image/jpeg"),
    "png": ("image", "png", "image/png"),
    "mp3": ("audio", "mp3", "audio/mpeg"),
    "mp3_raw": ("audio", "mp3", "audio/mpeg"),
    "aac": ("audio", "aac", "audio/aac"),
    "mp4": ("video", "mp4", "video/mp4"),
    "mp4_moov_last": ("video", "mp4", "video/mp4"),
}


def refusal(upload, kinds=ALL_KINDS, field="file") -> str:
    with pytest.raises(ValidationFailed) as caught:
        check_upload(upload, kinds=kinds, field=field)
    assert caught.value.status == 422
    assert list(caught.value.detail) == [field]
    [message] = caught.value.detail[field]
    return message


# --- sniff ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", VALID)
def test_given_a_valid_sample_when_sniffed_then_its_kind_extension_and_type_are_found(fmt):
    data = sample_bytes(fmt)
    kind, extension, content_type = EXPECTED[fmt]

    assert sniff(data) == MediaInfo(kind=kind, extension=extension, content_type=content_type, size=len(data))


def test_given_an_id3_tag_padded_with_zeros_before_the_audio_then_it_is_recognised():
    tagged = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 100

    assert sniff(tagged + sample_bytes("mp3_raw")).extension == "mp3"
    assert sniff(tagged + sample_bytes("aac")).extension == "aac"


def test_given_a_file_object_when_sniffed_then_the_position_is_restored_to_the_start():
    fp = io.BytesIO(sample_bytes("mp4"))
    fp.seek(10)

    assert sniff(fp) is not None
    assert fp.tell() == 10


@pytest.mark.parametrize("fmt", ["mp4_hevc", "mp4_mp3_audio", "exe", "zip", "empty", "zip_bomb", "docm", "text"])
def test_given_an_unacceptable_sample_when_sniffed_then_none(fmt):
    assert sniff(sample_bytes(fmt)) is None


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 8,  # PNG signature without IHDR
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",  # a HEIF photo, not a video
        b"\x00\x00\x00\x14ftypisom\x00\x00\x02\x00isom",  # ftyp only: no moov
        b"\x00\x00\x00\x14ftypisom\x00\x00\x02\x00isom" + b"\x00\x00\x00\xffmoov",  # box runs past the end
        b"\xff\xfd\x90\x64",  # MPEG layer II, not III
        b"\xff\xf1\xff\xff\xff\xff\xff",  # ADTS with an invalid sampling index
        b"PK\x03\x04" + b"\x00" * 40,  # broken zip
        b"ID3\x04\x00\x00\x00\x00\x00\x00MZ\x90\x00" + b"\x00" * 60,  # an ID3 tag in front of something else
        b"ID3\x04\x00\x00\x00\x00\x00\x00",  # an ID3 tag and no audio
        b"\xff\xd8\xff\x00",  # JPEG start of image not followed by a marker
    ],
)
def test_given_malformed_or_look_alike_content_when_sniffed_then_none(data):
    assert sniff(data) is None


def test_given_an_mp4_whose_moov_box_is_declared_with_a_zero_size_then_it_extends_to_the_end():
    data = sample_bytes("mp4")
    moov_at = data.find(b"moov") - 4
    moov_size = struct.unpack(">I", data[moov_at : moov_at + 4])[0]
    # Move the moov last and declare its size as 0 ("to the end of the file").
    moov = data[moov_at : moov_at + moov_size]
    rest = data[:moov_at] + data[moov_at + moov_size :]

    assert sniff(rest + b"\x00\x00\x00\x00" + moov[4:]) is not None


# --- check_upload: accepted -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", VALID)
def test_given_a_valid_upload_when_checked_then_the_media_info_is_returned_and_the_file_rewound(fmt):
    upload = sample_upload(fmt)
    kind, extension, content_type = EXPECTED[fmt]

    info = check_upload(upload, kinds={kind})

    assert (info.kind, info.extension, info.content_type, info.size) == (kind, extension, content_type, upload.size)
    assert upload.tell() == 0
    assert upload.read() == sample_bytes(fmt)


def test_given_a_jpeg_named_dot_jpeg_in_upper_case_then_it_is_accepted():
    assert check_upload(sample_upload("jpg", "照片.JPEG"), kinds={"image"}).extension == "jpg"


def test_given_kinds_as_media_kind_members_then_they_work_like_their_values():
    assert check_upload(sample_upload("pdf"), kinds=[MediaKind.DOCUMENT, MediaKind.IMAGE]).kind == MediaKind.DOCUMENT


def test_given_a_misleading_client_content_type_then_only_the_content_counts():
    upload = SimpleUploadedFile("a.png", sample_bytes("png"), content_type="application/x-msdownload")

    assert check_upload(upload, kinds={"image"}).content_type == "image/png"


@pytest.mark.parametrize(
    ("fmt", "name"), [("mp4_moov_last", "课堂实录.mp4"), ("docx", "教案.docx"), ("mp3", "儿歌.mp3")]
)
def test_given_a_large_upload_spooled_to_disk_when_checked_then_it_is_read_from_the_file(fmt, name):
    data = sample_bytes(fmt)
    kind, extension, content_type = EXPECTED[fmt]
    upload = TemporaryUploadedFile(name, "application/octet-stream", len(data), None)
    try:
        upload.write(data)
        upload.flush()
        upload.seek(0)

        info = check_upload(upload, kinds={kind})

        assert info == MediaInfo(kind, extension, content_type, len(data))
        assert upload.tell() == 0
    finally:
        upload.close()


# --- check_upload: refused ------------------------------------------------------------------------------


def test_given_an_hevc_mp4_then_the_codec_is_named():
    assert refusal(sample_upload("mp4_hevc"), kinds={"video"}) == "视频须为 H.264 编码（当前为 hvc1）"


def test_given_an_mp4_with_mp3_audio_then_it_is_refused_as_not_aac():
    assert refusal(sample_upload("mp4_mp3_audio"), kinds={"video"}).startswith("音频须为 AAC 编码")


def test_given_an_empty_file_then_it_is_refused_as_empty():
    assert refusal(sample_upload("empty")) == "文件为空"


@pytest.mark.parametrize(
    ("fmt", "name"), [("exe", "setup.exe"), ("exe", "setup.pdf"), ("zip", "a.zip"), ("text", "a.txt")]
)
def test_given_an_unaccepted_format_then_the_accepted_ones_are_listed(fmt, name):
    message = refusal(sample_upload(fmt, name), kinds={"document", "image"})

    assert message == "不支持的文件格式：只接受 PDF、Word、PowerPoint、Excel 文档或 JPG、PNG 图片"


def test_given_a_plain_zip_named_docx_then_it_is_not_a_document():
    assert refusal(sample_upload("zip", "a.docx"), kinds={"document"}) == (
        "不支持的文件格式：只接受 PDF、Word、PowerPoint、Excel 文档"
    )


def test_given_a_zip_bomb_then_it_is_refused_without_extracting():
    assert "压缩炸弹" in refusal(sample_upload("zip_bomb"), kinds={"document"})


def test_given_a_macro_document_then_it_is_refused():
    assert "含宏" in refusal(sample_upload("docm"), kinds={"document"})


def test_given_png_bytes_named_pdf_then_the_mismatch_is_named():
    assert refusal(sample_upload("fake_pdf"), kinds={"document", "image"}) == "文件内容是 PNG 图片，与扩展名 .pdf 不符"


def test_given_png_bytes_named_pdf_where_only_documents_are_allowed_then_the_kind_is_refused():
    assert refusal(sample_upload("fake_pdf"), kinds={"document"}) == (
        "此处不接受 PNG 图片：只接受 PDF、Word、PowerPoint、Excel 文档"
    )


def test_given_a_file_name_without_extension_then_it_is_refused_with_the_expected_extension():
    assert refusal(sample_upload("pdf", "教案"), kinds={"document"}) == (
        "文件名缺少扩展名：文件内容是 PDF 文档，扩展名应为 .pdf"
    )


@pytest.mark.parametrize(
    ("fmt", "kinds", "accepted"),
    [
        ("mp4", {"image"}, "只接受 JPG、PNG 图片"),
        ("pdf", {"video"}, "只接受 MP4（H.264 视频、AAC 音频）视频"),
        ("mp3", {"document", "image", "video"}, "只接受 PDF、Word、PowerPoint、Excel 文档，JPG、PNG 图片或 MP4（"),
    ],
)
def test_given_a_kind_not_allowed_here_then_it_is_refused(fmt, kinds, accepted):
    message = refusal(sample_upload(fmt), kinds=kinds)

    assert message.startswith("此处不接受")
    assert accepted in message


def test_given_an_upload_over_the_kind_limit_then_the_limit_is_named_in_mb(settings):
    settings.MEDIA_SIZE_LIMITS = {"document": 2 * 1024 * 1024, "image": 50, "audio": 1, "video": 1}

    assert refusal(sample_upload("png"), kinds={"document", "image"}) == "文件过大：图片不能超过 50 字节"
    assert check_upload(sample_upload("pdf"), kinds={"document", "image"}).extension == "pdf"


def test_given_an_upload_over_every_allowed_limit_then_it_is_refused_before_reading(settings):
    settings.MEDIA_SIZE_LIMITS = {"document": 1024 * 1024, "image": 1024 * 1024, "audio": 1, "video": 1}
    upload = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"\x00" * (1024 * 1024))

    assert refusal(upload, kinds={"document", "image"}) == "文件过大：不能超过 1 MB"


def test_given_no_size_setting_then_the_defaults_apply(settings):
    del settings.MEDIA_SIZE_LIMITS
    upload = SimpleUploadedFile("big.png", sample_bytes("png") + b"\x00" * (10 * 1024 * 1024))

    assert refusal(upload, kinds={"image"}) == "文件过大：不能超过 10 MB"
    assert check_upload(sample_upload("png"), kinds={"image"}).kind == "image"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a" * 197 + ".pdf", "文件名过长（最多 200 个字符）"),
        ("a\x00.pdf", "文件名不能包含路径分隔符或控制字符"),
        ("a\\b.pdf", "文件名不能包含路径分隔符或控制字符"),
        ("..", "文件名无效"),
    ],
)
def test_given_a_bad_file_name_then_it_is_refused(name, message):
    upload = sample_upload("pdf")
    upload._name = name  # bypass UploadedFile's own clean-up, as a custom upload handler might

    assert refusal(upload, kinds={"document"}) == message


def test_given_a_name_of_exactly_200_characters_then_it_is_accepted():
    assert check_upload(sample_upload("pdf", "a" * 196 + ".pdf"), kinds={"document"}).kind == "document"


def test_given_a_custom_field_name_then_the_error_is_reported_on_it():
    assert refusal(sample_upload("empty"), field="attachment") == "文件为空"


def test_given_an_unknown_kind_then_it_is_a_programming_error():
    with pytest.raises(ValueError):
        check_upload(sample_upload("pdf"), kinds={"spreadsheet"})


def test_every_sample_format_is_buildable():
    assert all(isinstance(sample_bytes(fmt), bytes) for fmt in FORMATS)
    with pytest.raises(ValueError):
        sample_bytes("gif")


# --- download_response ----------------------------------------------------------------------------------


def stored(data: bytes, name: str) -> FieldFile:
    storage = InMemoryStorage()
    saved = storage.save(name, ContentFile(data))
    field = FileField(storage=storage)
    field.name = "file"
    return FieldFile(None, field, saved)


def test_given_a_stored_file_when_downloaded_then_it_streams_with_a_utf8_attachment_name():
    data = sample_bytes("pdf")

    response = download_response(
        stored(data, "x/abc.pdf"), filename="三年级 课程表.pdf", content_type="application/pdf"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('三年级 课程表.pdf')}"
    assert b"".join(response.streaming_content) == data


def test_given_inline_when_downloaded_then_the_disposition_is_inline():
    response = download_response(
        stored(sample_bytes("png"), "p.png"), filename="photo.png", content_type="image/png", inline=True
    )

    assert response["Content-Disposition"] == 'inline; filename="photo.png"'
    assert response["Content-Type"] == "image/png"


def test_given_a_filename_with_path_and_control_characters_then_only_a_safe_base_name_is_sent():
    response = download_response(
        stored(b"%PDF-1.4", "p.pdf"), filename='../../etc/pa"ss\r\nwd.pdf', content_type="application/pdf"
    )

    assert response["Content-Disposition"] == 'attachment; filename="pa\\"sswd.pdf"'
