#!/usr/bin/env python3
"""Makes the PDF and Word files the extraction tests read, with real tools, at test time.

    make_documents.py OUTDIR

Writes into OUTDIR:
  handbook.pdf      groff -ms (tbl): 4 pages, a title in the Info dictionary, a table on page 2
  encrypted.pdf     handbook.pdf encrypted by qpdf with a user password (AES-256)
  truncated.pdf     the first half of handbook.pdf's bytes
  empty.pdf         0 bytes
  scanned.pdf       page 1 of handbook.pdf rendered by pdftoppm and wrapped by Pillow: images only
  long.pdf          groff -ms: 120 pages of prose, for the reader's time limit
  report.docx       python-docx: core title, a heading, paragraphs, a list, a table
  bomb.docx         word/document.xml inflating to 300 MiB, sizes declared honestly
  liar.docx         the same, its directory declaring 1 KiB for it
  notzip.docx       plain text named .docx
  nobody.docx       a zip without word/document.xml

Needs groff, qpdf and poppler-utils (Debian) and python-docx and Pillow (PyPI), which
scripts/stack.sh install provides (the last two in /opt/ragd-test-venv).
"""
import io
import os
import struct
import subprocess
import sys
import zipfile

HANDBOOK = r""".pdfinfo /Title Tidal Observatory Handbook
.TL
Tidal Observatory Handbook
.NH
Introduction
.PP
The observatory measures tides along the northern coast. Every gauge reports
its water level once a minute to the central archive in Harbourtown.
.PP
Calibration happens each spring, when the technicians compare the gauges with a
surveyed benchmark near the old customs house.
.bp
.NH
Gauge inventory
.PP
The following table lists the gauges and where they stand.
.TS
box;
l l n.
Gauge	Location	Depth
Alpha	North pier	12
Bravo	Lighthouse rock	7
Charlie	Fishing harbour	4
.TE
.PP
Bravo needs a new float switch before the winter storms.
.bp
.NH
Maintenance
.PP
Quarterly maintenance replaces the desiccant cartridges of every gauge and scrapes
the salt crust off the solar panels.
.bp
.NH
Emergencies
.PP
When a storm surge warning is issued, the duty officer telephones the harbour master
and switches the gauges to one reading every ten seconds.
"""


def run(*command, **kwargs):
    subprocess.run(command, check=True, **kwargs)


def pdfs(out):
    handbook = os.path.join(out, "handbook.pdf")
    with open(handbook, "wb") as pdf:
        run("groff", "-t", "-ms", "-Tpdf", "-P-pa4", input=HANDBOOK.encode(), stdout=pdf)
    run("qpdf", "--encrypt", "tide-secret", "owner-secret", "256", "--", handbook, os.path.join(out, "encrypted.pdf"))
    data = open(handbook, "rb").read()
    open(os.path.join(out, "truncated.pdf"), "wb").write(data[: len(data) // 2])
    open(os.path.join(out, "empty.pdf"), "wb").close()
    sections = "".join(f".NH\nSection {n}\n.PP\n" + f"The gauge of section {n} reports tides and waves. " * 40 + "\n.bp\n"
                       for n in range(120))
    with open(os.path.join(out, "long.pdf"), "wb") as pdf:
        run("groff", "-ms", "-Tpdf", input=(".TL\nLong record\n" + sections).encode(), stdout=pdf)
    # A scan: the first page as pixels only, no text layer.
    from PIL import Image
    png = subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", handbook], check=True,
                         stdout=subprocess.PIPE).stdout
    Image.open(io.BytesIO(png)).convert("RGB").save(os.path.join(out, "scanned.pdf"))


def report(out):
    import docx
    document = docx.Document()
    document.core_properties.title = "Beekeeping Field Report"
    document.add_heading("Hive inspection", level=1)
    document.add_paragraph("The apiary near the orchard holds twelve hives. Inspections happen every ninth day.")
    document.add_paragraph("Varroa mites were counted on sticky boards under each hive.")
    document.add_paragraph("Smoke the entrance gently", style="List Bullet")
    document.add_paragraph("Lift the frames one by one", style="List Bullet")
    table = document.add_table(rows=3, cols=3)
    for row, cells in enumerate([("Hive", "Queen", "Mites"), ("Amber", "marked blue", "3"), ("Basil", "unmarked", "11")]):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    document.add_heading("Honey harvest", level=2)
    document.add_paragraph("The summer harvest yielded forty kilograms of linden honey.")
    document.save(os.path.join(out, "report.docx"))


def bombs(out):
    chunk = b"<w:t>" + b" " * (1 << 20) + b"</w:t>"
    size = 300
    path = os.path.join(out, "bomb.docx")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=False) as part:
            part.write(b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>')
            for _ in range(size):
                part.write(chunk)
            part.write(b"</w:r></w:p></w:body></w:document>")
    # The liar: the same archive, the central directory (what ragd reads first) claiming
    # 1 KiB for word/document.xml.
    data = bytearray(open(path, "rb").read())
    name = b"word/document.xml"
    central = data.rfind(b"PK\x01\x02")  # the last central directory entry
    while central >= 0:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_length] == name:
            struct.pack_into("<I", data, central + 24, 1024)
            break
        central = data.rfind(b"PK\x01\x02", 0, central)
    else:
        sys.exit("no central directory entry for word/document.xml")
    open(os.path.join(out, "liar.docx"), "wb").write(data)
    open(os.path.join(out, "notzip.docx"), "w").write("This is plain text with a .docx name.\n")
    with zipfile.ZipFile(os.path.join(out, "nobody.docx"), "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/styles.xml", "<w:styles/>")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    pdfs(out)
    report(out)
    bombs(out)


if __name__ == "__main__":
    main()
