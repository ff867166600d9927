#!/usr/bin/env python3
"""How the PDF and Word readers were chosen: candidate extractors timed on real files.

    bench/formats.py [--rounds 3] [PDF ...]

For each PDF (default: the PDFs of Debian documentation packages installed here, and the
test handbook that Tests/tools/make_documents.py makes with groff), each candidate runs
`--rounds` times; reported are the median wall time, the peak RSS (GNU time, Debian `time`), the
output size, and two checks on the handbook: is the table read row by row ("Bravo" and
"Lighthouse rock" on one line), and are paragraphs kept (a blank line between the two
paragraphs of section 1). Candidates: poppler's pdftotext in its three text modes
(reading order, -layout, -tsv: words with blocks and lines, what ragd lays out itself)
and MuPDF's `mutool draw -F txt` (if installed: Debian mupdf-tools, 86 MB, AGPL).

The DOCX side: `unzip -p` of word/document.xml from a python-docx file and from the
300 MiB bomb (which ragd never inflates in full: it stops at the declared size).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PDFS = [
    "/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf",
    "/usr/share/doc/libtasn1-doc/libtasn1.pdf",
    "/usr/share/debian-reference/debian-reference.zh-cn.pdf",
]
CANDIDATES = {
    "pdftotext (reading order)": ["pdftotext", "-enc", "UTF-8", "{pdf}", "-"],
    "pdftotext -layout": ["pdftotext", "-layout", "-enc", "UTF-8", "{pdf}", "-"],
    "pdftotext -tsv (ragd)": ["pdftotext", "-tsv", "-enc", "UTF-8", "{pdf}", "-"],
    "mutool draw -F txt": ["mutool", "draw", "-q", "-F", "txt", "-o", "-", "{pdf}"],
}


def run(command):
    """Wall seconds, peak RSS in KiB and stdout of one run. GNU time reports the RSS: a
    child forked from this Python would count Python's own pages before its exec."""
    with tempfile.NamedTemporaryFile() as report:
        started = time.monotonic()
        output = subprocess.run(["/usr/bin/time", "-q", "-f", "%M", "-o", report.name] + command,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        seconds = time.monotonic() - started
        rss = int(open(report.name).read().split()[-1])
    return seconds, rss, output


def pages(pdf):
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
    return next((int(line.split()[1]) for line in info.splitlines() if line.startswith("Pages:")), 0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("pdfs", nargs="*")
    args = parser.parse_args()
    documents = Path(tempfile.mkdtemp(prefix="ragd-formats-"))
    python = os.environ.get("RAGD_TEST_PYTHON", "/opt/ragd-test-venv/bin/python")
    subprocess.run([python, str(REPO / "Tests/tools/make_documents.py"), str(documents)], check=True)
    handbook = str(documents / "handbook.pdf")
    pdfs = [p for p in (args.pdfs or DEFAULT_PDFS) if os.path.exists(p)] + [handbook]

    print("| file | pages | extractor | median s | peak RSS MiB | output KiB |")
    print("|---|---|---|---|---|---|")
    for pdf in pdfs:
        for name, template in CANDIDATES.items():
            if not shutil.which(template[0]):
                continue
            command = [part.replace("{pdf}", pdf) for part in template]
            runs = [run(command) for _ in range(args.rounds)]
            seconds = statistics.median(r[0] for r in runs)
            rss = max(r[1] for r in runs) / 1024
            print(f"| {Path(pdf).name} | {pages(pdf)} | {name} | {seconds:.2f} | {rss:.0f} | {len(runs[0][2]) / 1024:.0f} |")

    print("\nOn the handbook (groff, a 3-column table on page 2):")
    for name, template in CANDIDATES.items():
        if not shutil.which(template[0]) or "tsv" in name:
            continue
        text = run([part.replace("{pdf}", handbook) for part in template])[2].decode()
        rows = any("Bravo" in line and "Lighthouse rock" in line for line in text.splitlines())
        paragraphs = "Harbourtown.\n\nCalibration" in " ".join(text.split(" ")).replace("\n \n", "\n\n")
        print(f"* {name}: table rows kept {'yes' if rows else 'no'}, paragraphs kept {'yes' if paragraphs else 'no'}")

    print("\nDOCX (unzip -p word/document.xml):")
    for name in ("report.docx", "bomb.docx"):
        seconds, rss, output = run(["unzip", "-p", str(documents / name), "word/document.xml"])
        print(f"* {name}: {seconds:.2f} s, peak RSS {rss / 1024:.0f} MiB, {len(output) / 2**20:.1f} MiB inflated")
    shutil.rmtree(documents)


if __name__ == "__main__":
    sys.exit(main())
