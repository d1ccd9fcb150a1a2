"""The licence as a printable A4 PDF (电子证照版式文件): title, fields, holder, issuer, dates, a
drawn seal and the QR code of the signed payload, with the CJK font embedded (a subset).

The PDF carries the signed canonical payload and the seal's signature as an embedded file
(`licence.json`), and renders byte-identical for the same licence (creation date = issued_at,
content-derived document id), so its SHA-256, recorded on the licence at issue, identifies it.

Speed: the source font (a whole Noto CJK collection face, ~16 MB) is reduced once to ASCII, CJK
punctuation and the 6,763 GB2312 hanzi and cached as a file under LICENCE_PDF_FONT_CACHE, keyed by
the source's path, face and mtime, with its outlines converted to TrueType (subsetting CFF runs
every charstring in Python); each PDF subsets that reduced font, from a parsed copy kept per
process. Text with a character outside it falls back to the full font.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import LicenceError, LicenceInvalid

ATTACHMENT = "licence.json"
MAX_PDF_BYTES = 5 * 1024 * 1024
REDUCED_FONT_VERSION = 3
SEAL_RED = (200, 16, 30)
ROWS_BOTTOM = 200.0  # mm from the top: the QR code and the seal are below
QR_MASK = 2  # one of 0-7; fixed so the drawing does not depend on segno's choice either
HOLDER_ID_TITLE = {"citizen": "公民身份号码", "company": "统一社会信用代码"}
HOLDER_TITLE = {"citizen": "持证人", "company": "持证主体"}


# fontTools reports every subsetting step at INFO: a licence PDF is no occasion for that.
for _name in ("fontTools.subset", "fontTools.ttLib", "fpdf.output"):
    if logging.getLogger(_name).level == logging.NOTSET:
        logging.getLogger(_name).setLevel(logging.WARNING)


class LicenceFontMissing(LicenceError):
    """No CJK font to render a licence PDF with."""

    code = "unavailable"


# --- the font ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FontSource:
    path: Path
    face: int


def font_source() -> FontSource:
    """LICENCE_PDF_FONT as a path and face; LicenceFontMissing when it names no CJK font."""
    configured = str(getattr(settings, "LICENCE_PDF_FONT", "") or "")
    path_text, _sep, face_text = configured.partition("#")
    path = Path(path_text) if path_text else None
    if path is None or not path.is_file() or not _has_hanzi(str(path), int(face_text or 0), path.stat().st_mtime_ns):
        raise LicenceFontMissing(
            _("No Chinese font to draw the licence PDF with (%(font)s): install the Debian package "
              "fonts-noto-cjk (scripts/ensure-fonts) or set LICENCE_PDF_FONT.")
            % {"font": configured or "Noto Sans CJK SC"})
    return FontSource(path, int(face_text or 0))


@lru_cache(maxsize=8)
def _has_hanzi(path: str, face: int, _mtime: int) -> bool:
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(path, fontNumber=face, lazy=True)
        return ord("证") in (font.getBestCmap() or {})
    except Exception:  # noqa: BLE001 - any unreadable font is "no CJK font"
        return False


def reduced_codepoints() -> set[int]:
    """ASCII, Latin-1 and general punctuation, CJK symbols and full-width forms, the GB2312 hanzi."""
    points = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100)) | set(range(0x2010, 0x2040))
    points |= set(range(0x3000, 0x3040)) | set(range(0xFF01, 0xFF5F)) | {0x2160 + n for n in range(12)}
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return points


@lru_cache(maxsize=4)
def _reduced_font(path: str, face: int, mtime_ns: int) -> tuple[str, frozenset[int]]:
    """The reduced font file (built once, then read from the cache) and the characters it covers."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    key = hashlib.sha256(f"{REDUCED_FONT_VERSION}:{path}:{face}:{mtime_ns}".encode()).hexdigest()[:24]
    cache = Path(getattr(settings, "LICENCE_PDF_FONT_CACHE", Path(settings.HOME_DIR) / "fonts"))
    try:
        cache.mkdir(parents=True, exist_ok=True)
        if not os.access(cache, os.W_OK):
            raise PermissionError(cache)
    except OSError:
        cache = Path(tempfile.gettempdir()) / "zhengtong-fonts"
        cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"licence-cjk-{key}.ttf"
    if not target.exists():
        font = TTFont(path, fontNumber=face, recalcTimestamp=False)
        options = subset.Options()
        options.layout_features = []
        options.hinting = False
        options.glyph_names = False
        options.name_IDs = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=reduced_codepoints())
        subsetter.subset(font)
        if "CFF " in font:
            _cff_to_truetype(font)
        handle, scratch = tempfile.mkstemp(dir=cache, prefix=".licence-cjk-", suffix=".ttf")
        os.close(handle)
        try:
            font.save(scratch)
            os.chmod(scratch, 0o644)
            os.replace(scratch, target)  # atomic: a concurrent builder writes the same bytes
        finally:
            if os.path.exists(scratch):
                os.unlink(scratch)
    covered = TTFont(str(target), lazy=True).getBestCmap() or {}
    return str(target), frozenset(covered)


def _cff_to_truetype(font) -> None:
    """Replace the font's CFF outlines by TrueType ones (quadratic, within 1 unit), in place.

    Subsetting a CFF font for each PDF runs every used charstring (closure, bounds) in Python;
    TrueType glyphs are subset and written as they are, several times faster.
    """
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attribute in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                      "maxStackElements", "maxSizeOfInstructions", "maxComponentElements", "maxPoints",
                      "maxContours", "maxCompositePoints", "maxCompositeContours", "maxComponentDepth"):
        setattr(maxp, attribute, 0)
    maxp.maxZones = 1
    font["head"].glyphDataFormat = 0
    post = font["post"]  # format 2: the glyph names are stored, not rebuilt from cmap on every read
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    font.sfntVersion = "\x00\x01\x00\x00"


def font_for(text: str) -> tuple[str, int]:
    """The font file and face to draw `text` with: the reduced font when it covers every character."""
    source = font_source()
    reduced, covered = _reduced_font(str(source.path), source.face, source.path.stat().st_mtime_ns)
    if all(ord(char) in covered for char in text if not char.isspace()):
        return reduced, 0
    return str(source.path), source.face


# fpdf2's add_font reads every glyph's width and id (7,600 of them) for each document: the parsed
# font is kept per process and each document gets a shallow copy with its own font file object,
# subset map and descriptor (what writing a document changes). FAST_FONTS = False turns it off.
FAST_FONTS = True
_templates: dict[tuple[str, int], object] = {}
_templates_lock = threading.Lock()


def _add_font(pdf, font_file: str, face: int, family: str = "cjk") -> None:
    if not FAST_FONTS:
        pdf.add_font(family, fname=font_file, collection_font_number=face)
        return
    import copy

    from fontTools.ttLib import TTFont
    from fpdf import FPDF
    from fpdf.fonts import SubsetMap

    key = (font_file, face)
    with _templates_lock:
        template = _templates.get(key)
        if template is None:
            scratch = FPDF()
            scratch.add_font(family, fname=font_file, collection_font_number=face)
            template = _templates[key] = scratch.fonts[family]
    font = copy.copy(template)
    font.i = len(pdf.fonts) + 1
    font.fontkey = family
    font.ttfont = TTFont(font_file, recalcTimestamp=False, recalcBBoxes=False, fontNumber=face, lazy=True)
    font.desc = copy.copy(template.desc)
    font.subset = SubsetMap(font)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    pdf.fonts[family] = font
    if font.is_cff and font.is_cid_keyed:
        pdf._set_min_pdf_version("1.6")


# --- the document --------------------------------------------------------------------------------


def embedded_document(licence, payload: dict) -> bytes:
    """What the PDF embeds: the signed canonical payload and the seal's signature."""
    from .services import canonical_json

    return canonical_json({
        "payload": payload,
        "signature": {"algorithm": licence.signature_algorithm, "key_id": licence.signature_key_id,
                      "value": base64.b64encode(bytes(licence.signature)).decode("ascii")},
        "digest": licence.digest,
    })


def _date(value) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def licence_lines(licence) -> list[tuple[str, str]]:
    """The rows of the document: (label, value)."""
    rows = [("证照编号", licence.number), (HOLDER_TITLE[licence.holder_kind], licence.holder_name),
            (HOLDER_ID_TITLE[licence.holder_kind], licence.holder_identifier)]
    titles = {spec["name"]: spec.get("title") or spec.get("label") or spec["name"] for spec in licence.type.schema}
    for name in [spec["name"] for spec in licence.type.schema]:
        row = (titles[name], str(licence.fields.get(name, "")))
        if row[1] and row not in rows:  # a company's 统一社会信用代码 is its identifier already
            rows.append(row)
    rows += [("发证机关", licence.department.name), ("发证日期", _date(timezone.localdate(licence.issued_at))),
             ("有效期至", _date(licence.valid_until) if licence.valid_until else "长期")]
    return rows


def verify_path() -> str:
    from django.urls import reverse

    return reverse("licences:verify")


def licence_pdf_render(licence) -> bytes:
    """The licence's PDF: the same licence always gives the same bytes."""
    from fpdf import FPDF

    from .services import canonical_json, licence_payload

    payload = licence_payload(licence)
    signed = canonical_json(payload)
    rows = licence_lines(licence)
    title = licence.type.name
    seal_text = licence.department.name
    footer = f"核验：扫描二维码，或访问 {verify_path()} 输入证照编号 {licence.number}"
    note = "本电子证照由发证机关以电子印章签章，签名数据嵌入本文件，与纸质证照具有同等效力。"
    all_text = "".join([title, seal_text, footer, note, "电子证照", "扫码核验"] + [a + b for a, b in rows])
    font_file, face = font_for(all_text)
    issued = licence.issued_at.astimezone(UTC)

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_compression(True)
    pdf.set_creation_date(issued)
    pdf.set_producer("Zhengtong 政通")
    pdf.set_creator("Zhengtong 政通 电子证照")
    pdf.set_title(f"{title} {licence.number}")
    pdf.set_subject(licence.digest)
    pdf.set_keywords(f"licence:{licence.public_id} number:{licence.number}")
    pdf.set_author(licence.department.name)
    pdf.set_lang("zh-CN")
    pdf.set_auto_page_break(False)
    _add_font(pdf, font_file, face)
    pdf.add_page()

    # A double frame, as printed certificates have.
    pdf.set_draw_color(150, 110, 40)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 190, 277)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, 184, 271)

    pdf.set_text_color(20, 20, 20)
    pdf.set_font("cjk", size=30)
    pdf.set_xy(15, 28)
    pdf.cell(180, 14, title, align="C")
    pdf.set_font("cjk", size=11)
    pdf.set_xy(15, 44)
    pdf.set_text_color(110, 110, 110)
    pdf.cell(180, 6, "电子证照", align="C")

    pdf.set_text_color(20, 20, 20)
    size, line, gap = _rows_fit(pdf, rows, bottom=ROWS_BOTTOM - 62.0)
    y = 62.0
    for label, value in rows:
        pdf.set_font("cjk", size=size)
        pdf.set_xy(28, y)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(42, line, label)
        pdf.set_text_color(20, 20, 20)
        pdf.set_xy(70, y)
        pdf.multi_cell(112, line, value)
        y = max(pdf.get_y(), y + line) + gap

    _draw_qr(pdf, signed.decode("utf-8"), fallback=licence.number, x=28, y=205, size=48)
    pdf.set_font("cjk", size=9)
    pdf.set_xy(28, 254)
    pdf.cell(48, 5, "扫码核验", align="C")
    _draw_seal(pdf, seal_text, cx=150, cy=228, radius=21)

    pdf.set_font("cjk", size=8)
    pdf.set_text_color(90, 90, 90)
    pdf.set_xy(20, 263)
    pdf.multi_cell(170, 4.5, f"{footer}\n{note}\n数字摘要 {licence.digest}")

    document = embedded_document(licence, payload)
    pdf.embed_file(bytes=document, basename=ATTACHMENT, desc="signed licence payload and seal signature",
                   creation_date=issued, modification_date=issued, mime_type="application/json",
                   compress=False)
    return bytes(pdf.output())


def _rows_fit(pdf, rows: list[tuple[str, str]], *, bottom: float) -> tuple[float, float, float]:
    """The largest (font size, line height, gap) at which the rows end above the QR code and seal."""
    from fpdf.enums import MethodReturnValue

    choices = ((12, 8.0, 3.0), (10.5, 6.5, 2.0), (9, 5.2, 1.5), (7.5, 4.2, 1.0))
    for size, line, gap in choices:
        pdf.set_font("cjk", size=size)
        height = sum(max(line, pdf.multi_cell(112, line, value, dry_run=True, output=MethodReturnValue.HEIGHT)) + gap
                     for _label, value in rows)
        if height <= bottom:
            return size, line, gap
    return choices[-1]  # beyond that the text runs on over the seal: a field of a licence is never that long


def _draw_qr(pdf, text: str, *, fallback: str, x: float, y: float, size: float) -> None:
    """The QR code as filled rectangles, one per horizontal run of dark modules."""
    import segno

    try:  # a fixed mask: choosing the best of eight costs ~0.1 s
        qr = segno.make(text, error="m", micro=False, mask=QR_MASK)
    except segno.DataOverflowError:  # fields too long for one QR code: it carries the number, which verifies too
        qr = segno.make(fallback, error="m", micro=False, mask=QR_MASK)
    matrix = [list(row) for row in qr.matrix]
    module = size / len(matrix)
    # One path of rectangles (one per horizontal run of dark modules), filled once: written as PDF
    # operators, since fpdf2's rect() per run costs more than the rest of the page.
    k, page_height = pdf.k, pdf.h
    operators = []
    for row_number, row in enumerate(matrix):
        column = 0
        while column < len(row):
            if row[column]:
                start = column
                while column < len(row) and row[column]:
                    column += 1
                left, top = x + start * module, y + row_number * module
                operators.append(f"{left * k:.2f} {(page_height - top) * k:.2f} {(column - start) * module * k:.2f} "
                                 f"{-module * k:.2f} re")
            else:
                column += 1
    pdf._out("q 0 g " + " ".join(operators) + " f Q")


def _draw_seal(pdf, text: str, *, cx: float, cy: float, radius: float) -> None:
    """A drawn round seal: red ring, the issuer's name along the upper arc, a star in the middle."""
    import math

    pdf.set_draw_color(*SEAL_RED)
    pdf.set_fill_color(*SEAL_RED)
    pdf.set_text_color(*SEAL_RED)
    pdf.set_line_width(1.3)
    pdf.circle(cx, cy, radius, style="D")
    pdf.star(cx, cy, radius * 0.13, radius * 0.34, 5, rotate_degrees=-90, style="F")
    chars = list(text)[:24]
    span = min(240.0, 18.0 * len(chars))
    size = 13 if len(chars) <= 12 else 10
    pdf.set_font("cjk", size=size)
    char_mm = size * 0.3528
    for index, char in enumerate(chars):
        angle = -span / 2 + span * (index + 0.5) / len(chars)  # degrees from the top, clockwise
        theta = math.radians(angle)
        rho = radius - 2.2 - char_mm / 2
        px, py = cx + rho * math.sin(theta), cy - rho * math.cos(theta)
        with pdf.rotation(-angle, px, py):
            pdf.text(px - char_mm / 2, py + char_mm / 2.6, char)
    pdf.set_font("cjk", size=9)
    pdf.set_xy(cx - radius, cy + radius * 0.45)
    pdf.cell(radius * 2, 5, "电子印章", align="C")
    pdf.set_text_color(20, 20, 20)


# --- reading a presented PDF back ---------------------------------------------------------------


@dataclass(frozen=True)
class PresentedPdf:
    payload: dict
    signature: dict
    sha256: str


def pdf_read(data: bytes) -> PresentedPdf:
    """The payload and signature a licence PDF embeds; LicenceInvalid says why it has none."""
    if len(data) > MAX_PDF_BYTES:
        raise LicenceInvalid(_("The PDF is larger than %(size)s MB: a licence PDF is much smaller.")
                             % {"size": MAX_PDF_BYTES // (1024 * 1024)})
    if not data.lstrip()[:5] == b"%PDF-":
        raise LicenceInvalid(_("The file is not a PDF."))
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        attachments = reader.attachments
        embedded = attachments.get(ATTACHMENT) or []
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError):
        raise LicenceInvalid(_("The PDF cannot be read: it is damaged or not a licence PDF.")) from None
    if len(embedded) > 1:
        raise LicenceInvalid(_("The PDF holds more than one licence."))
    try:
        document = json.loads(embedded[0])
        payload, signature = document["payload"], document["signature"]
        if not isinstance(payload, dict) or not isinstance(signature, dict):
            raise TypeError
    except (IndexError, ValueError, KeyError, TypeError):
        raise LicenceInvalid(_("The PDF holds no licence issued by this platform.")) from None
    return PresentedPdf(payload=payload, signature=signature, sha256=hashlib.sha256(data).hexdigest())
