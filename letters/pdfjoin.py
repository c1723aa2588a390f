"""Join PDFs that WeasyPrint wrote into one: all pages in order, the bookmarks of each one after another.

A bulk print renders its slips in parts (one per process) and joins them here, since pypdf is not a
dependency. This reads only what WeasyPrint writes through pydyf (a cross-reference stream, objects
written out or in object streams, generation 0, a catalog with pages and bookmarks); anything else raises
CannotJoin and the caller renders the whole document in one piece instead.

Each part's objects are renumbered one after another and written with pydyf again; stream data is copied
as it is (a page's drawing holds no object references), only dictionaries are rewritten.
"""

from __future__ import annotations

import io
import re
import zlib

import pydyf

_OBJ = re.compile(rb"(\d+) 0 obj\n")
# a literal string, a hex string, or a reference: references inside strings are text, not references
_TOKEN = re.compile(rb"\((?:\\.|[^\\()])*\)|<[0-9A-Fa-f\s]*>|(?<![\w.+-])(\d+) 0 R(?!\w)", re.S)
_CATALOG = re.compile(rb"<</Type /Catalog/Pages (\d+) 0 R(?:/Outlines (\d+) 0 R)?>>")
_PAGES = re.compile(rb"<</Type /Pages/Kids \[((?:\d+ 0 R ?)*)\]/Count (\d+)>>")
_OUTLINES = re.compile(rb"<</Count (-?\d+)/First (\d+) 0 R/Last (\d+) 0 R>>")
_STREAM = b"\nstream\n"


class CannotJoin(ValueError):
    """The PDF is not one this module knows how to read."""


class _Raw(pydyf.Object):
    """An object given as the bytes between "N 0 obj" and "endobj"."""

    def __init__(self, body: bytes = b"", *, stream: bool = False) -> None:
        super().__init__()
        self.body = body
        self.stream = stream

    @property
    def data(self) -> bytes:
        return self.body

    @property
    def compressible(self) -> bool:
        return not self.stream


# --- reading -------------------------------------------------------------------------------------------


def _int(pattern: bytes, data: bytes) -> int:
    found = re.search(pattern, data)
    if found is None:
        raise CannotJoin(f"{pattern!r} not found")
    return int(found.group(1))


def _stream_data(body: bytes) -> tuple[bytes, bytes]:
    """(dictionary, data) of a stream object's body."""
    head, sep, rest = body.partition(_STREAM)
    if not sep or not rest.endswith(b"\nendstream"):
        raise CannotJoin("not a stream")
    data = rest[: -len(b"\nendstream")]
    if _int(rb"/Length (\d+)", head) != len(data):
        raise CannotJoin("stream length mismatch")
    return head, data


def _decoded(body: bytes) -> tuple[bytes, bytes]:
    head, data = _stream_data(body)
    if b"/Filter /FlateDecode" in head:
        data = zlib.decompress(data)
    elif b"/Filter" in head:
        raise CannotJoin("unknown filter")
    return head, data


def _xref(data: bytes, at: int) -> tuple[bytes, list[tuple[int, int, int]]]:
    """The cross-reference stream at `at`: its dictionary and one (type, field 2, field 3) per object."""
    found = _OBJ.match(data, at)
    if found is None:
        raise CannotJoin("no cross-reference stream at startxref")
    end = data.find(b"\nendobj", found.end())
    head, table = _decoded(data[found.end(): end])
    if b"/Type /XRef" not in head or b"/Index [0 " not in head:
        raise CannotJoin("not a cross-reference stream WeasyPrint writes")
    widths = [int(w) for w in re.search(rb"/W \[(\d+) (\d+) (\d+)\]", head).groups()]
    step = sum(widths)
    entries = []
    for pos in range(0, len(table) - step + 1, step):
        fields, offset = [], pos
        for width in widths:
            fields.append(int.from_bytes(table[offset: offset + width], "big"))
            offset += width
        entries.append((fields[0], fields[1], fields[2]))
    return head, entries


def read(data: bytes) -> tuple[dict[int, _Raw], int, int | None]:
    """Every object of `data` ({number: object}), the catalog's number and the information's."""
    try:
        at = int(data[data.rindex(b"startxref") + len(b"startxref"):].split()[0])
    except ValueError as exc:
        raise CannotJoin("no startxref") from exc
    head, entries = _xref(data, at)
    direct = sorted((offset, number) for number, (kind, offset, _gen) in enumerate(entries)
                    if kind == 1 and offset < at)
    objects: dict[int, _Raw] = {}
    for (offset, number), (next_offset, _next) in zip(direct, [*direct[1:], (at, None)], strict=True):
        found = _OBJ.match(data, offset)
        body = data[found.end(): next_offset] if found and int(found.group(1)) == number else b""
        if not body.endswith(b"\nendobj\n"):
            raise CannotJoin(f"object {number} is not where the cross-reference says")
        body = body[: -len(b"\nendobj\n")]
        objects[number] = _Raw(body, stream=body.endswith(b"\nendstream"))
    packed = {}
    for number, (kind, container, index) in enumerate(entries):
        if kind == 2:
            packed.setdefault(container, []).append((index, number))
        elif (kind == 1 and index != 0) or kind not in (0, 1, 2):  # index: the generation here
            raise CannotJoin("unsupported cross-reference entry")
    for container, members in packed.items():
        objects.update(_unpack(objects.pop(container), dict(members)))
    info = re.search(rb"/Info (\d+) 0 R", head)
    return objects, _int(rb"/Root (\d+) 0 R", head), int(info.group(1)) if info else None


def _unpack(container: _Raw, members: dict[int, int]) -> dict[int, _Raw]:
    head, data = _decoded(container.body)
    if b"/Type /ObjStm" not in head:
        raise CannotJoin("not an object stream")
    first, count = _int(rb"/First (\d+)", head), _int(rb"/N (\d+)", head)
    numbers = [int(n) for n in data[:first].split()]
    if len(numbers) != 2 * count:
        raise CannotJoin("bad object stream header")
    starts = [first + offset for offset in numbers[1::2]] + [len(data) + 1]
    found = {}
    for index, number in enumerate(numbers[0::2]):
        if members.get(index) != number:
            raise CannotJoin("object stream disagrees with the cross-reference")
        found[number] = _Raw(data[starts[index]: starts[index + 1] - 1])
    return found


# --- joining -------------------------------------------------------------------------------------------


def _renumber(raw: _Raw, numbers: dict[int, int]) -> None:
    def swap(match: re.Match) -> bytes:
        if match.group(1) is None:
            return match.group(0)  # a string
        old = int(match.group(1))
        if old not in numbers:
            raise CannotJoin(f"reference to a missing object {old}")
        return b"%d 0 R" % numbers[old]

    head, sep, rest = raw.body.partition(_STREAM) if raw.stream else (raw.body, b"", b"")
    raw.body = _TOKEN.sub(swap, head) + sep + rest


def _append(raw: _Raw, key: bytes, number: int) -> None:
    if not raw.body.endswith(b">>") or b"/" + key + b" " in raw.body:
        raise CannotJoin("unexpected bookmark")
    raw.body = raw.body[:-2] + b"/%s %d 0 R>>" % (key, number)


def join(parts: list[bytes]) -> bytes:
    """One PDF of the pages of `parts`, in order."""
    if len(parts) == 1:
        return parts[0]
    try:
        return _join(parts)
    except CannotJoin:
        raise
    except (KeyError, IndexError, AttributeError, ValueError, zlib.error) as exc:  # a PDF not as expected
        raise CannotJoin(f"{type(exc).__name__}: {exc}") from exc


def _join(parts: list[bytes]) -> bytes:
    read_parts = [read(data) for data in parts]
    pdf = pydyf.PDF()
    outlines = None
    count, chain = 0, []  # (first, last) top-level bookmark of each part
    for objects, root, info in read_parts:
        catalog = _CATALOG.fullmatch(objects.pop(root).body)
        if catalog is None:
            raise CannotJoin("the catalog has more than pages and bookmarks")
        pages_number = int(catalog.group(1))
        pages = _PAGES.fullmatch(objects.pop(pages_number).body)
        if pages is None:
            raise CannotJoin("unexpected page tree")
        numbers = {pages_number: pdf.pages.number}
        tops = None
        if catalog.group(2) is not None:
            if outlines is None:
                outlines = _Raw()
                pdf.add_object(outlines)
            numbers[int(catalog.group(2))] = outlines.number  # the part's top bookmarks' parent
            tops = _OUTLINES.fullmatch(objects.pop(int(catalog.group(2))).body)
            if tops is None:
                raise CannotJoin("unexpected bookmarks")
        information = objects.pop(info) if info is not None else None
        for new, old in enumerate(sorted(objects), start=len(pdf.objects)):
            numbers[old] = new
        for old in sorted(objects):
            _renumber(objects[old], numbers)
            pdf.add_object(objects[old])
        kids = [numbers[int(n)] for n in re.findall(rb"(\d+) 0 R", pages.group(1))]
        if len(kids) != int(pages.group(2)):
            raise CannotJoin("page count disagrees with the page tree")
        for kid in kids:
            pdf.pages["Kids"].extend([kid, 0, "R"])
        pdf.pages["Count"] += len(kids)
        if tops is not None:
            count += int(tops.group(1))
            chain.append((pdf.objects[numbers[int(tops.group(2))]], pdf.objects[numbers[int(tops.group(3))]]))
        if information is not None and not pdf.info:
            pdf.info = information  # the first part's title and producer
    for (_first, last), (first, _last) in zip(chain, chain[1:], strict=False):
        _append(last, b"Next", first.number)
        _append(first, b"Prev", last.number)
    if outlines is not None:
        outlines.body = b"<</Count %d/First %d 0 R/Last %d 0 R>>" % (count, chain[0][0].number,
                                                                   chain[-1][1].number)
        pdf.catalog["Outlines"] = outlines.reference
    out = io.BytesIO()
    pdf.write(out, version=parts[0][5:8], compress=True)
    return out.getvalue()
