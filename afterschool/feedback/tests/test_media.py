"""feedback.media: thumbnails (≤ 480 px, EXIF orientation applied, JPEG, metadata dropped), refusals of pictures that
cannot be decoded or are too large, the video placeholder, the poster fields of an upload, and byte-range serving."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from afterschool.core.errors import ValidationFailed
from afterschool.feedback import media
from afterschool.feedback.tests.factories import picture_bytes


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_a_large_photo_gets_a_jpeg_thumbnail_of_at_most_480_px() -> None:
    thumb = media.thumbnail(picture_bytes((2000, 1500)))
    image = _open(thumb.data)
    assert image.format == "JPEG"
    assert image.size == (480, 360) == (thumb.thumb_width, thumb.thumb_height)
    assert (thumb.width, thumb.height) == (2000, 1500)


def test_a_small_photo_is_not_enlarged() -> None:
    thumb = media.thumbnail(picture_bytes((300, 200)))
    assert _open(thumb.data).size == (300, 200)


def test_exif_orientation_is_applied_and_the_shown_size_recorded() -> None:
    # A phone's portrait photo: stored 1200×900 landscape with "rotate 90° clockwise" (6) in its EXIF.
    data = picture_bytes((1200, 900), fmt="JPEG", orientation=6)
    thumb = media.thumbnail(data)
    image = _open(thumb.data)
    assert image.size == (360, 480)  # upright: taller than wide
    assert (thumb.width, thumb.height) == (900, 1200)
    assert not image.getexif().get(0x0112)  # no orientation (nor any metadata) carried over


def test_a_transparent_png_is_flattened_on_white() -> None:
    thumb = media.thumbnail(picture_bytes((100, 100), mode="RGBA"))
    image = _open(thumb.data)
    assert image.mode == "RGB"
    # The half-transparent blue corner shows lighter than pure blue over white.
    r, _, b = image.getpixel((90, 90))  # type: ignore[misc]
    assert r > 100 and b > 200


def test_a_picture_that_cannot_be_decoded_is_refused_in_chinese() -> None:
    broken = picture_bytes((400, 300))[:60]  # a PNG cut off after its header
    with pytest.raises(ValidationFailed) as refused:
        media.thumbnail(broken, field="files")
    assert refused.value.code == "image_unreadable"
    assert refused.value.detail == {"files": ["图片无法读取（文件可能已损坏）"]}


def test_a_picture_of_too_many_pixels_is_refused_before_decoding(monkeypatch: Any) -> None:
    monkeypatch.setattr(media, "MAX_PIXELS", 10_000)
    with pytest.raises(ValidationFailed) as refused:
        media.thumbnail(picture_bytes((200, 100)), field="poster_0", label="视频封面")
    assert refused.value.detail == {"poster_0": ["视频封面尺寸过大（最多 1 万像素）"]}


def test_the_placeholder_is_a_neutral_16_by_9_png() -> None:
    image = _open(media.placeholder_png())
    assert image.format == "PNG" and image.size == (480, 270)


def test_posters_are_found_by_field_name() -> None:
    a, b = SimpleUploadedFile("a.png", b"x"), SimpleUploadedFile("b.png", b"y")
    found = media.posters_from({"poster_0": a, "poster_3": b, "poster_x": b, "files": a, "poster_1234": b})
    assert found == {0: a, 3: b}


@pytest.fixture
def stored() -> Any:
    name = default_storage.save("tests/range.bin", ContentFile(bytes(range(256)) * 4))  # 1024 bytes
    yield default_storage.open(name)
    default_storage.delete(name)


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_without_a_range_the_whole_file_is_sent_and_ranges_offered(stored: Any) -> None:
    response = media.ranged_response(stored, filename="a.mp4", content_type="video/mp4")
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes" and response["Content-Type"] == "video/mp4"
    assert len(_body(response)) == 1024


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=0-1", 0, 1), ("bytes=1000-", 1000, 1023), ("bytes=-24", 1000, 1023), ("bytes=10-99999", 10, 1023)],
)
def test_a_byte_range_gets_a_206_with_that_part(stored: Any, header: str, first: int, last: int) -> None:
    response = media.ranged_response(stored, filename="a.mp4", content_type="video/mp4", range_header=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/1024"
    assert response["Content-Length"] == str(last - first + 1)
    assert _body(response) == (bytes(range(256)) * 4)[first : last + 1]


@pytest.mark.parametrize("header", ["bytes=2000-", "bytes=5-2", "bytes=-0"])
def test_an_unsatisfiable_range_gets_416(stored: Any, header: str) -> None:
    response = media.ranged_response(stored, filename="a.mp4", content_type="video/mp4", range_header=header)
    assert response.status_code == 416 and response["Content-Range"] == "bytes */1024"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-1", "garbage", "bytes=-"])
def test_a_range_we_do_not_serve_gets_the_whole_file(stored: Any, header: str) -> None:
    response = media.ranged_response(stored, filename="a.mp4", content_type="video/mp4", range_header=header)
    assert response.status_code == 200
