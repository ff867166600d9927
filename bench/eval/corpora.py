#!/usr/bin/env python3
"""Build retrieval-evaluation corpora from documentation installed by Debian packages.

Two corpora, both built only from files on disk (no network), deterministically:

``en``  Python 3.11 documentation (Debian package ``python3.11-doc``),
        /usr/share/doc/python3.11/html/.  One document per content page.
        Skipped as navigation (not content): the root ``index.html`` and
        ``contents.html``, ``genindex*.html``, ``py-modindex.html``,
        ``search.html``, ``download.html``, the ``_static``/``_sources``/
        ``_downloads``/``_images`` folders, ``includes/`` (a fragment that Sphinx
        inlines into other pages) and the per-folder ``index.html`` pages that
        are only a table of contents (see ``EN_TOC_ONLY``).  Index pages with
        real prose (``installing/index.html``, ``tutorial/index.html``,
        ``library/index.html``, ...) are kept.  Sphinx toctrees (the link lists
        to sub-pages, e.g. the 20 000 characters of module titles on
        ``library/allos.html``) are removed from every page as navigation, so
        the "chapter" pages of the library reference shrink to their intro.
        ``id`` = path relative to the html root (``library/os.path.html``);
        ``title`` = ``<title>`` without the " — Python 3.11.x documentation"
        suffix; ``html`` = the ``<div class="body" role="main">`` content.

``zh``  Debian Reference, Simplified Chinese (package ``debian-reference-zh-cn``),
        /usr/share/debian-reference/*.zh-cn.html.  One document per numbered
        section at any depth: ``N.M`` ("3.1. 启动过程概述"), ``N.M.K``
        ("6.3.3. 免密码远程连接") and ``N.M.K.L`` ("6.2.4.1. exim4 的配置"); in the
        preface "1."-"5." and "3.1."-"3.6.", in the appendix "A.1."-"A.4.".  A
        document holds only the section's own direct content: its heading and the
        text up to its first subsection, never the text of its subsections (each
        of those is a document of its own), so every passage is in exactly one
        document.  A section whose own content is only its heading (9 of the 450,
        e.g. "2.7. 软件包管理技巧", which goes straight into 2.7.1) gives no
        document.  The text of a chapter before its first section (its
        introduction, without the table of contents and the list of tables) is
        kept as one extra small document per chapter, titled with the chapter
        heading; chapters with no such text get none.  Footnotes, which DocBook
        collects at the end of a chapter (4 in the whole book), are not kept.
        ``index.zh-cn.html`` (title page, abstract and table of contents) is
        skipped as navigation.  Documents are in book order (pre-order).
        ``id`` = ``<file>#<anchor>`` (``ch06.zh-cn.html#_connecting_without_remote_passwords``),
        ``title`` = the heading with its number (``6.3.3. 免密码远程连接``).

Every document is ``{"id", "title", "html", "url_path"}``.  ``html`` is a
self-contained, well-formed fragment ``<html lang=..><body>...</body></html>``
rebuilt from a parse tree (``html.parser``): scripts, styles, images, comments,
Sphinx permalink markers (the "¶" anchors), toctrees, empty anchors and purely
presentational ``<span>`` wrappers are removed and attributes are reduced to
``id``/``href``/``colspan``/``rowspan``/``start``, so headings, paragraphs, lists,
tables and ``<pre>`` code blocks survive any simple HTML-to-text converter.  ``url_path`` is the
installed file (plus ``#anchor`` for ``zh``), usable as a ``file://`` URL.

Usage:  python3 corpora.py {en|zh} OUT.jsonl      (counts are printed to stderr)
Python: from corpora import build_corpus, html_to_text
        build_corpus("en") parses ~44 MB of HTML with html.parser (~25 s of CPU); it
        uses forked worker processes, one per CPU; pass workers=1 to stay in-process.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from html.parser import HTMLParser

EN_ROOT = "/usr/share/doc/python3.11/html"
ZH_ROOT = "/usr/share/debian-reference"

EN_SKIP_DIRS = {"_static", "_sources", "_downloads", "_images", "includes"}
EN_SKIP_FILES = {"index.html", "contents.html", "py-modindex.html", "search.html",
                 "download.html"}
# Folder index pages that hold nothing but a title, a sentence or two and a toctree.
EN_TOC_ONLY = {"c-api/index.html", "faq/index.html", "howto/index.html",
               "reference/index.html", "using/index.html", "whatsnew/index.html"}

ZH_FILES = ["pr01"] + ["ch%02d" % i for i in range(1, 13)] + ["apa"]   # book order

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "param", "source", "track", "wbr"}
DROP = {"script", "style", "img", "noscript", "form", "button", "input", "svg"}
KEEP_ATTRS = {"id", "href", "colspan", "rowspan", "start"}
BLOCK = {"address", "article", "aside", "blockquote", "body", "caption", "dd", "div",
         "dl", "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
         "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "table",
         "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "br"}


# --------------------------------------------------------------------------- parse tree

class Node:
    __slots__ = ("tag", "attrs", "children", "parent")

    def __init__(self, tag, attrs=None, parent=None):
        self.tag = tag                      # element name, or None for a text node
        self.attrs = dict(attrs or {})      # for a text node: {"text": ...}
        self.children = []
        self.parent = parent

    @property
    def classes(self):
        return (self.attrs.get("class") or "").split()

    def iter(self):
        """All element descendants (including self), document order."""
        stack = [self]
        while stack:
            node = stack.pop()
            if node.tag is not None:
                yield node
                stack.extend(reversed(node.children))

    def find(self, pred):
        return next((n for n in self.iter() if pred(n)), None)


class _Done(Exception):
    pass


class TreeBuilder(HTMLParser):
    """Builds a Node tree; tolerant of void elements, ``<x/>`` and stray end tags.

    ``stop_after(node)`` (optional) is called for every closed element; when it
    returns true, parsing stops there (the rest of the page is not needed).
    """

    def __init__(self, stop_after=None):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.stack = [self.root]
        self.stop_after = stop_after

    def handle_starttag(self, tag, attrs):
        node = Node(tag, [(k, v if v is not None else "") for k, v in attrs], self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        node = Node(tag, [(k, v if v is not None else "") for k, v in attrs], self.stack[-1])
        self.stack[-1].children.append(node)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                closed = self.stack[i]
                del self.stack[i:]
                if self.stop_after and self.stop_after(closed):
                    raise _Done
                return
        # stray end tag: ignore

    def handle_data(self, data):
        parent = self.stack[-1]
        if parent.children and parent.children[-1].tag is None:
            parent.children[-1].attrs["text"] += data
        else:
            parent.children.append(Node(None, {"text": data}, parent))


def parse(markup: str, stop_after=None) -> Node:
    builder = TreeBuilder(stop_after)
    try:
        builder.feed(markup)
        builder.close()
    except _Done:
        pass
    return builder.root


def text_of(node: Node) -> str:
    """Concatenated raw text of a subtree (no block separation), whitespace collapsed."""
    out = []

    def walk(n):
        if n.tag is None:
            out.append(n.attrs["text"])
        elif n.tag not in DROP:
            for c in n.children:
                walk(c)
    walk(node)
    return re.sub(r"\s+", " ", "".join(out)).strip()


def _is_navigation(node: Node) -> bool:
    """Sphinx permalink markers ("¶") and toctrees (lists of links to other pages)."""
    return ((node.tag == "a" and "headerlink" in node.classes)
            or (node.tag == "div" and "toctree-wrapper" in node.classes))


def serialize(node: Node, out: list) -> None:
    """Write a cleaned copy of ``node`` (and its subtree) into ``out``."""
    if node.tag is None:
        out.append(html.escape(node.attrs["text"], quote=False))
        return
    if node.tag in DROP or _is_navigation(node) or (node.tag == "a" and not node.children):
        return                                         # (empty anchors: DocBook's <a id="x"/>)
    unwrap = node.tag in ("span", "#document")          # inline wrappers: keep only the text
    if not unwrap:
        attrs = "".join(' %s="%s"' % (k, html.escape(v)) for k, v in node.attrs.items()
                        if k in KEEP_ATTRS)
        out.append("<%s%s>" % (node.tag, attrs))
    for child in node.children:
        serialize(child, out)
    if not unwrap and node.tag not in VOID:
        out.append("</%s>" % node.tag)


def fragment(nodes, lang: str) -> str:
    out = ['<html lang="%s"><body>\n' % lang]
    for n in nodes:
        serialize(n, out)
    out.append("\n</body></html>\n")
    return "".join(out)


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        if tag in BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1
        if tag in BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML string: block elements become line breaks."""
    p = _TextExtractor()
    p.feed(markup)
    p.close()
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in "".join(p.parts).split("\n"))
    return "\n".join(line for line in lines if line)


# --------------------------------------------------------------------------- en

def _en_pages():
    pages = []
    for dirpath, dirnames, filenames in os.walk(EN_ROOT):
        dirnames[:] = sorted(d for d in dirnames if d not in EN_SKIP_DIRS)
        for fn in filenames:
            if not fn.endswith(".html"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, fn), EN_ROOT).replace(os.sep, "/")
            if rel in EN_SKIP_FILES or rel in EN_TOC_ONLY or fn.startswith("genindex"):
                continue
            pages.append(rel)
    return sorted(pages)


def _is_main_body(n: Node) -> bool:
    return n.tag == "div" and "body" in n.classes and n.attrs.get("role") == "main"


# Sphinx wraps every token of code and signatures in <span class=...>; spans are
# unwrapped on output anyway, so dropping these tags before parsing changes nothing
# in the result but halves the parse time (they are ~half of all tags).  Sphinx
# escapes "<" and ">" in text and none of its span attribute values contain ">".
_SPAN_TAG = re.compile(r"</?span\b[^>]*>")


def _en_doc(rel: str) -> dict:
    path = os.path.join(EN_ROOT, rel)
    with open(path, encoding="utf-8") as f:
        tree = parse(_SPAN_TAG.sub("", f.read()), stop_after=_is_main_body)
    title_node = tree.find(lambda n: n.tag == "title")
    title = text_of(title_node) if title_node else rel
    title = re.sub(r"\s+\u2014\s+Python [0-9.]+\S* documentation$", "", title)
    body = tree.find(_is_main_body) or tree.find(lambda n: n.tag == "body") or tree
    return {"id": rel, "title": title, "html": fragment(body.children, "en"), "url_path": path}


# --------------------------------------------------------------------------- zh

def _heading(section: Node) -> Node | None:
    """The h1-h6 heading of a DocBook block (inside its div.titlepage)."""
    tp = next((c for c in section.children if c.tag == "div" and "titlepage" in c.classes), None)
    return tp.find(lambda n: n.tag in ("h1", "h2", "h3", "h4", "h5", "h6")) if tp else None


def _anchor(block: Node, heading: Node | None) -> str:
    if block.attrs.get("id"):
        return block.attrs["id"]
    if heading is not None:
        a = heading.find(lambda n: n.tag == "a" and n.attrs.get("id"))
        if a is not None:
            return a.attrs["id"]
        if heading.attrs.get("id"):
            return heading.attrs["id"]
    raise ValueError("section without anchor")


def _is_section(n: Node) -> bool:
    return n.tag == "div" and "section" in n.classes


def _zh_sections(block: Node):
    """Every section below ``block`` at any depth (N.M, N.M.K, N.M.K.L), in document
    order, each as ``(section, own)``: ``own`` is the section's direct content, i.e.
    its children up to its first subsection (its heading block included).  DocBook
    puts all subsections of a section after its own content, so nothing is lost."""
    for child in block.children:
        if _is_section(child):
            own = []
            for c in child.children:
                if _is_section(c):
                    break
                own.append(c)
            yield child, own
            yield from _zh_sections(child)


def _zh_docs(fn: str) -> list:
    """The documents of one chapter file: its intro (if any), then one per section."""
    path = os.path.join(ZH_ROOT, fn)
    with open(path, encoding="utf-8") as f:
        tree = parse(f.read())
    body = tree.find(lambda n: n.tag == "body")
    chapter = next(c for c in body.children if c.tag == "div"
                   and set(c.classes) & {"chapter", "preface", "appendix"})
    intro = []
    for child in chapter.children:
        if _is_section(child):
            break
        if child.tag == "div" and set(child.classes) & {"titlepage", "toc", "list-of-tables",
                                                         "list-of-figures"}:
            continue                                   # chapter heading, navigation
        intro.append(child)
    docs = []
    if any(text_of(n) for n in intro):
        head = _heading(chapter)
        title, anchor = text_of(head), _anchor(chapter, head)
        docs.append({"id": "%s#%s" % (fn, anchor), "title": title,
                     "html": fragment([_title_node("h1", title)] + intro, "zh-CN"),
                     "url_path": "%s#%s" % (path, anchor)})
    for sec, own in _zh_sections(chapter):
        if not any(text_of(n) for n in own
                   if not (n.tag == "div" and "titlepage" in n.classes)):
            continue                                   # a bare heading over its subsections
        head = _heading(sec)
        anchor = _anchor(sec, head)
        shell = Node("div")                            # the section without its subsections
        shell.children = own
        docs.append({"id": "%s#%s" % (fn, anchor), "title": text_of(head),
                     "html": fragment([shell], "zh-CN"), "url_path": "%s#%s" % (path, anchor)})
    return docs


def _title_node(tag: str, text: str) -> Node:
    n = Node(tag)
    n.children.append(Node(None, {"text": text}, n))
    return n


# --------------------------------------------------------------------------- API / CLI

CORPORA = ("en", "zh")


def _pmap(func, items, workers):
    """``list(map(func, items))``, spread over ``workers`` forked processes.

    Parsing with html.parser is CPU bound (~2 MB/s) and the English pages are
    ~44 MB, so the ``en`` build uses all cores.  Only the ``fork`` start method is
    used (no re-import of the caller's ``__main__``); without it, runs serially.
    Results keep the input order, so the output is the same either way.
    """
    import multiprocessing
    if workers is None:
        workers = min(8, os.cpu_count() or 1)
    if workers <= 1 or len(items) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [func(x) for x in items]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.map(func, items, chunksize=max(1, len(items) // (workers * 8)))


def build_corpus(name: str, workers: int | None = None) -> list[dict]:
    """Return corpus ``name`` ("en" or "zh") as a list of
    ``{"id", "title", "html", "url_path"}`` dicts in a fixed order.
    ``workers``: processes for parsing (default: the number of CPUs; 1 = serial)."""
    if name == "en":
        docs = _pmap(_en_doc, _en_pages(), workers)
    elif name == "zh":
        docs = [d for fn in ZH_FILES for d in _zh_docs("%s.zh-cn.html" % fn)]
    else:
        raise ValueError("unknown corpus %r (expected one of %s)" % (name, ", ".join(CORPORA)))
    ids = [d["id"] for d in docs]
    assert len(ids) == len(set(ids)), "duplicate document ids"
    return docs


def _text_len(markup: str) -> int:
    return len(html_to_text(markup))


def write_jsonl(docs, out_path: str) -> None:
    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")


def main(argv):
    if len(argv) != 3 or argv[1] not in CORPORA:
        print("usage: %s {%s} OUT.jsonl" % (argv[0], "|".join(CORPORA)), file=sys.stderr)
        return 2
    docs = build_corpus(argv[1])
    write_jsonl(docs, argv[2])
    chars = sum(_pmap(_text_len, [d["html"] for d in docs], None))
    print("%s: %d documents, %d characters of visible text, %d characters of html -> %s"
          % (argv[1], len(docs), chars, sum(len(d["html"]) for d in docs), argv[2]),
          file=sys.stderr)
    if argv[1] == "zh":
        print("zh: " + _zh_summary(docs), file=sys.stderr)
    return 0


def _zh_summary(docs) -> str:
    """Documents by kind, from each document's first heading: h1 = chapter intro,
    h2 = N.M section (1.-5. in the preface), h3 = N.M.K, h4 = N.M.K.L."""
    levels = {}
    for d in docs:
        m = re.search(r"<h([1-6])>", d["html"])
        key = m.group(1) if m else "?"
        levels[key] = levels.get(key, 0) + 1
    names = {"1": "chapter introductions", "2": "N.M sections", "3": "N.M.K sections",
             "4": "N.M.K.L sections"}
    return ", ".join("%d %s" % (n, names.get(k, "h%s documents" % k))
                     for k, n in sorted(levels.items()))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
