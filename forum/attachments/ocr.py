"""Text in a photo, read by Debian's ``tesseract`` (packages tesseract-ocr and
tesseract-ocr-ind) in a subprocess: so the personal-data screens can see a KTP or KK number
in a photo as they see it in a text. OCR never stops a submission: a missing, failing or slow
tesseract gives ``None`` and a log line, and the photo waits for a moderator's own look
(forum.submissions, moderation) instead of being published unread."""

from __future__ import annotations

import logging
import shutil
import subprocess

log = logging.getLogger(__name__)

LANGUAGES = "ind+eng"
TIMEOUT_SECONDS = 60.0
# tesseract reads the image from stdin and writes the text to stdout; one thread, so a worker
# does not take every core of the machine; nothing else of our environment goes to it.
_ENVIRONMENT = {"OMP_THREAD_LIMIT": "1", "LC_ALL": "C.UTF-8"}


def ocr_text(
    image_bytes: bytes,
    *,
    languages: str = LANGUAGES,
    timeout: float = TIMEOUT_SECONDS,
    command: str = "tesseract",
) -> str | None:
    """The text tesseract reads in ``image_bytes`` (a re-encoded JPEG, PNG or WebP), "" when
    it finds none, or ``None`` when it could not read it (not installed, failed, too slow)."""
    executable = shutil.which(command)
    if executable is None:
        log.warning("OCR skipped: %s is not installed (apt-get install tesseract-ocr-ind)", command)
        return None
    try:
        done = subprocess.run(  # noqa: S603 - a fixed program and arguments; the image on stdin
            [executable, "stdin", "stdout", "-l", languages, "--psm", "3"],
            input=image_bytes,
            capture_output=True,
            timeout=timeout,
            env=_ENVIRONMENT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        log.warning("OCR skipped: tesseract took more than %.0f s", timeout)
        return None
    except OSError as exc:
        log.warning("OCR skipped: tesseract could not run: %s", exc)
        return None
    if done.returncode != 0:
        error = done.stderr.decode("utf-8", "replace").strip()[-300:]
        log.warning("OCR skipped: tesseract exited with %s: %s", done.returncode, error)
        return None
    return done.stdout.decode("utf-8", "replace").strip()
