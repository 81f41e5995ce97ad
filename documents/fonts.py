"""The CJK font the PDFs embed: found on the system, prepared once, subset into every document.

The system font is Noto Sans CJK SC (Debian's fonts-noto-cjk; .ci/run installs it) or another CJK
font in FONT_CANDIDATES, or the file named by DOCUMENTS_CJK_FONT. Noto CJK ships CFF outlines
in a 20 MB collection of 65,000 glyphs: embedding that in each PDF is slow (fontTools reads the
whole font per document, about 1.2 s) and PDF readers such as pypdf do not read the CFF font's
embedded CMap. So the first use prepares a "desk font" once per machine: the glyphs of the
common characters (ASCII, Latin-1, punctuation, arrows, CJK punctuation, full-width forms and
the 7,445 characters of GB 2312) converted to TrueType outlines (cu2qu), cached in
DOCUMENTS_FONT_CACHE_DIR. A document whose text holds a character outside it (a rare name
character) gets a small font of its own characters made the same way (about a second, cached).
"""

import hashlib
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)
# fontTools logs every glyph id it keeps at INFO; documents need only its warnings.
logging.getLogger("fontTools").setLevel(logging.WARNING)

# (path, index in a collection); the first that exists wins. Index 2 of Noto's collection is SC.
FONT_CANDIDATES = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)
# Bumped when the preparation below changes, so a cached desk font from an older build is remade.
DESK_FONT_BUILD = "3"
APT_PACKAGE = "fonts-noto-cjk"


class FontMissing(Exception):
    """No CJK font on this machine; the message says what to install."""

    def __init__(self):
        super().__init__(
            _(
                "No Chinese font is installed, so documents cannot be made. Install the system package "
                "%(package)s (apt-get install %(package)s) or set DOCUMENTS_CJK_FONT to a TrueType or "
                "OpenType CJK font file."
            )
            % {"package": APT_PACKAGE}
        )


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int
    # Code points the font maps (None: not read, the full system font covers what it covers).
    covers: frozenset | None


def system_font() -> tuple[str, int] | None:
    configured = getattr(settings, "DOCUMENTS_CJK_FONT", "")
    if configured:
        path, _sep, index = configured.partition(":")
        if not Path(path).is_file() or not (index or "0").isdigit():
            return None
        return path, int(index or 0)
    for path, index in FONT_CANDIDATES:
        if Path(path).is_file():
            return path, index
    return None


def font_available() -> bool:
    return system_font() is not None


def desk_characters() -> set[int]:
    chars = set(range(0x20, 0x7F)) | set(range(0xA0, 0x180))
    for start, end in ((0x2000, 0x2070), (0x2190, 0x2300), (0x25A0, 0x2600), (0x3000, 0x3040), (0xFF00, 0xFFF0)):
        chars |= set(range(start, end))
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


_lock = threading.Lock()
_desk: FontFile | None = None


def desk_font() -> FontFile:
    """The prepared desk font (built on first use, then read from the cache); FontMissing if none."""
    global _desk
    source = system_font()
    if source is None:
        raise FontMissing()
    with _lock:
        if _desk is None or not Path(_desk.path).is_file():
            path = _cached_path(source)
            if not path.is_file():
                _build(source, path, desk_characters())
            from fontTools.ttLib import TTFont

            with TTFont(str(path), lazy=True) as font:
                covers = frozenset(font.getBestCmap())
            _desk = FontFile(str(path), 0, covers)
        return _desk


def font_for(text: str, batch: FontFile | None = None) -> FontFile:
    """The font for ``text``: the ``batch`` font when it has every character, else the desk font
    when it has them, else a small font of the rare characters' own (from the system font)."""
    needed = {ord(ch) for ch in text if ch >= " "}
    if batch is not None and needed <= batch.covers:
        return batch
    desk = desk_font()
    if needed <= desk.covers:
        return desk
    return _rare_font(needed)


def _rare_font(needed: set[int]) -> FontFile:
    """A small font of just ``needed`` (plus ASCII) from the system font, prepared like the desk
    font and cached by its character set (a rare name comes back on each of its documents)."""
    source = system_font()
    chars = needed | set(range(0x20, 0x7F))
    key = hashlib.sha256((str(_cached_path(source)) + ",".join(map(str, sorted(chars)))).encode()).hexdigest()
    path = Path(settings.DOCUMENTS_FONT_CACHE_DIR) / f"rare-{key[:24]}.ttf"
    if not path.is_file():
        logger.info("document text has %s characters outside the desk font", len(needed - desk_font().covers))
        _build(source, path, chars)
    return FontFile(str(path), 0, None)


def batch_font(texts: list[str]):
    """A context manager giving one small font with every character of ``texts``, made once for
    a batch of documents (each PDF then subsets a font of a few hundred glyphs instead of the
    desk font's 8,000: the day's batch issues several times faster). Removed afterwards."""
    import contextlib

    @contextlib.contextmanager
    def made():
        # Rare characters are left out: a document that has one gets its own font (font_for).
        desk = desk_font()
        needed = {ord(ch) for text in texts for ch in text if ch >= " "} & desk.covers
        target = Path(settings.DOCUMENTS_FONT_CACHE_DIR)
        target.mkdir(parents=True, exist_ok=True)
        handle, path = tempfile.mkstemp(dir=target, prefix="batch-", suffix=".ttf")
        os.close(handle)
        try:
            _build((desk.path, 0), Path(path), needed | set(range(0x20, 0x7F)))
            yield FontFile(path, 0, frozenset(needed))
        finally:
            if os.path.exists(path):
                os.unlink(path)

    return made()


def _cached_path(source: tuple[str, int]) -> Path:
    path, index = source
    stat = os.stat(path)
    key = hashlib.sha256(f"{path}:{index}:{stat.st_size}:{stat.st_mtime_ns}:{DESK_FONT_BUILD}".encode()).hexdigest()
    return Path(settings.DOCUMENTS_FONT_CACHE_DIR) / f"desk-{key[:16]}.ttf"


def _build(source: tuple[str, int], target: Path, characters: set[int]) -> None:
    """Subset the system font to ``characters``, with TrueType outlines; written atomically
    (two processes preparing it at once each write a whole file and one replaces the other)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    path, index = source
    logger.info("preparing the desk font from %s (once per machine)", path)
    font = TTFont(path, fontNumber=index, recalcTimestamp=False)
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.desubroutinize = True
    options.glyph_names = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters)
    subsetter.subset(font)
    if "CFF " in font:
        _cff_to_truetype(font)

    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(handle)
    try:
        font.save(temporary)
        os.chmod(temporary, 0o644)  # readable by the web and worker processes alike
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _cff_to_truetype(font) -> None:
    """Cubic CFF outlines to quadratic TrueType glyphs (fontTools' cu2qu), in place."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)
    metrics = font["hmtx"].metrics
    for name in order:
        glyph = glyf[name]
        metrics[name] = (metrics[name][0], glyph.xMin if glyph.numberOfContours else 0)
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attribute in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attribute, 0)
    maxp.maxZones = 1
    # Glyph names kept (format 2): without them fontTools rebuilds every name from the cmap on
    # each load, a tenth of a second per document.
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"
