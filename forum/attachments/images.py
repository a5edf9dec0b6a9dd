"""Photos decoded and written again with Pillow (HEIC/HEIF through pillow-heif): the only
module that imports either. What comes out has the EXIF orientation applied and no
metadata at all (EXIF with GPS, XMP, comments, colour profiles: the pixels are converted to
sRGB first), plus thumbnails. Decoding stops at ``MAX_PIXELS``."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from io import BytesIO

import pillow_heif
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)

# 40 megapixels: more than any phone camera's full-size photo (a 48 MP sensor saves 12 MP by
# default), far less than a bomb's. Pillow's own check (a DecompressionBombWarning above
# this, an error above twice this) is turned into a refusal too.
MAX_PIXELS = 40_000_000
THUMBNAIL_SIDES = (320, 1024)  # the long side of each thumbnail, in pixels
JPEG_QUALITY = 85
WEBP_QUALITY = 85
THUMBNAIL_QUALITY = 80

# Process-wide, and this module is the only user of Pillow: its bomb check at our limit, and
# its warning (above the limit, below twice it) an exception we turn into a refusal.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)

# Our format names -> Pillow's, so Pillow never guesses another decoder for the bytes.
_PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "heif": "HEIF"}
# What each is stored as: HEIC becomes JPEG (every browser shows it).
_OUTPUT = {
    "jpeg": ("JPEG", "image/jpeg", "jpg"),
    "heif": ("JPEG", "image/jpeg", "jpg"),
    "png": ("PNG", "image/png", "png"),
    "webp": ("WEBP", "image/webp", "webp"),
}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class TooBig(Exception):
    """More pixels than MAX_PIXELS (or Pillow's bomb check fired)."""


class Unreadable(Exception):
    """The bytes do not decode as the format they start like."""


@dataclass(frozen=True)
class Encoded:
    data: bytes
    media_type: str
    extension: str
    width: int
    height: int
    thumbnails: dict[int, bytes]  # long side -> WebP bytes


def reencode(data: bytes, fmt: str, *, max_pixels: int = MAX_PIXELS) -> Encoded:
    """Decode ``data`` as ``fmt`` (jpeg, png, webp, heif) and write it again, clean.
    ``max_pixels`` can lower the limit, not raise it (Pillow's own check uses MAX_PIXELS)."""
    image = _decode(data, fmt, max_pixels)
    pillow_format, media_type, extension = _OUTPUT[fmt]
    clean = _output_mode(image, pillow_format)
    clean.info = {}  # nothing of the original's metadata reaches the encoder
    out = BytesIO()
    if pillow_format == "JPEG":
        clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif pillow_format == "WEBP":
        clean.save(out, "WEBP", quality=WEBP_QUALITY)
    else:
        clean.save(out, "PNG", optimize=True)
    return Encoded(
        data=out.getvalue(),
        media_type=media_type,
        extension=extension,
        width=clean.width,
        height=clean.height,
        thumbnails={side: _thumbnail(clean, side) for side in THUMBNAIL_SIDES},
    )


def _decode(data: bytes, fmt: str, max_pixels: int) -> Image.Image:
    try:
        image = Image.open(BytesIO(data), formats=[_PILLOW_FORMATS[fmt]])
        if image.width * image.height > max_pixels:
            raise TooBig
        image.load()  # the first frame only: an animation keeps its first picture
        transposed = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooBig from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        log.info("attachment image does not decode as %s: %s", fmt, exc)
        raise Unreadable from None
    return _to_srgb(transposed, image.info.get("icc_profile"))


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """The pixels in sRGB when the photo carries another colour profile (e.g. an iPhone's
    Display P3), so dropping the profile does not change how the photo looks."""
    if not icc or image.mode not in {"RGB", "RGBA"}:
        return image
    try:
        source = ImageCms.ImageCmsProfile(BytesIO(icc))
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        log.info("attachment colour profile ignored: %s", exc)
        return image
    return converted if converted is not None else image


def _output_mode(image: Image.Image, pillow_format: str) -> Image.Image:
    """A mode the output format stores as it is: JPEG L or RGB; PNG and WebP keep alpha."""
    mode = image.mode
    if mode in {"I", "I;16", "I;16B", "I;16L", "I;16N", "F"}:  # 16-bit and float greys
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
        mode = "L"
    if mode == "P" or mode == "PA":
        has_alpha = mode == "PA" or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
        mode = image.mode
    if pillow_format == "JPEG":
        return image if mode in {"L", "RGB"} else image.convert("RGB")
    if pillow_format == "PNG":
        return image if mode in {"1", "L", "LA", "RGB", "RGBA"} else image.convert("RGBA")
    return image if mode in {"RGB", "RGBA"} else image.convert("RGBA" if "A" in mode else "RGB")


def _thumbnail(image: Image.Image, side: int) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((side, side), Image.Resampling.LANCZOS)
    if thumb.mode not in {"RGB", "RGBA"}:
        thumb = thumb.convert("RGBA" if "A" in thumb.mode else "RGB")
    out = BytesIO()
    thumb.save(out, "WEBP", quality=THUMBNAIL_QUALITY)
    return out.getvalue()
