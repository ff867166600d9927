// The document list (newest first, keyset pages), one document with its chunks, and
// deleting with a confirmation.

import { call } from "./api.js";
import { $, clearMessage, el, formatBytes, formatDate, formatPages, plural, showMessage, showMeta } from "./dom.js";

const CHUNK_PAGE = 50;
const cursors = [null]; // cursors[i] fetches page i
let page = 0;
let detail = null; // {id, title, nextOffset}

export function initDocuments() {
    $("doc-refresh").addEventListener("click", () => loadPage(page));
    $("page-size").addEventListener("change", () => reset());
    $("doc-next").addEventListener("click", () => loadPage(page + 1));
    $("doc-prev").addEventListener("click", () => loadPage(page - 1));
    $("doc-detail-close").addEventListener("click", closeDetail);
    $("doc-chunks-more").addEventListener("click", () => loadChunks());
}

// Back to the first page (new token, new uploads, a deletion).
export function reset() {
    cursors.length = 1;
    return loadPage(0);
}

export async function loadPage(index) {
    const area = $("documents-msg");
    const limit = $("page-size").value;
    const cursor = cursors[index];
    const query = "?limit=" + encodeURIComponent(limit) + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
    try {
        const { body, meta } = await call("GET", "/v1/documents" + query);
        if (body.data.length === 0 && index > 0) return loadPage(index - 1); // the last one was deleted
        page = index;
        cursors.length = index + 1;
        if (body.next_cursor) cursors.push(body.next_cursor);
        renderList(body.data);
        $("doc-prev").disabled = page === 0;
        $("doc-next").disabled = !body.next_cursor;
        $("doc-page").textContent = "Page " + (page + 1);
        if (body.data.length === 0 && page === 0) showMessage(area, "No documents yet: upload some above.");
        else clearMessage(area);
        showMeta($("documents-meta"), meta);
    } catch (error) {
        showMessage(area, error.message, "error", error.requestId);
    }
}

function renderList(documents) {
    $("doc-list").replaceChildren(...documents.map((doc) => el("li", { class: "doc", "data-id": doc.id },
        el("button", { type: "button", class: "doc-title link", onclick: () => openDocument(doc.id) }, doc.title),
        el("p", { class: "small" },
            plural(doc.chunks, "chunk") + " · " + formatBytes(doc.bytes) + " · " + doc.content_type + " · " + formatDate(doc.created_at) +
            (doc.source ? " · " + doc.source : "")),
        el("button", { type: "button", class: "danger small-button", onclick: () => confirmDelete(doc) },
            "Delete", el("span", { class: "visually-hidden" }, " " + doc.title)))));
}

// Opens a document: its fields, then its chunks in order. Exported for search results
// and citations.
export async function openDocument(id) {
    const box = $("doc-detail");
    const area = $("doc-detail-msg");
    location.hash = "#documents";
    try {
        const { body } = await call("GET", "/v1/documents/" + encodeURIComponent(id));
        detail = { id: body.id, title: body.title, nextOffset: 0 };
        $("doc-detail-title").textContent = body.title;
        $("doc-detail-fields").replaceChildren(...[
            ["id", body.id], ["source", body.source || "—"], ["type", body.content_type],
            ["size", formatBytes(body.bytes)], ["chunks", String(body.chunks)],
            ["created", formatDate(body.created_at)], ["sha256", body.sha256],
            ["metadata", JSON.stringify(body.metadata)],
        ].flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
        $("doc-chunks").replaceChildren();
        clearMessage(area);
        box.hidden = false;
        $("doc-detail-title").focus();
        await loadChunks();
    } catch (error) {
        box.hidden = false;
        showMessage(area, error.message, "error", error.requestId);
    }
}

async function loadChunks() {
    if (!detail || detail.nextOffset === null) return;
    const { id, nextOffset } = detail;
    const more = $("doc-chunks-more");
    try {
        const { body } = await call("GET", "/v1/documents/" + encodeURIComponent(id) +
            "/chunks?limit=" + CHUNK_PAGE + "&offset=" + nextOffset);
        if (!detail || detail.id !== id) return; // another document was opened meanwhile
        $("doc-chunks").append(...body.data.map((chunk) => el("li", { class: "chunk", "data-chunk-id": chunk.id },
            el("span", { class: "chunk-no small" }, "#" + chunk.ordinal + formatPages(chunk)),
            el("div", { class: "passage-text" }, chunk.text))));
        detail.nextOffset = body.next_offset;
        more.hidden = body.next_offset === null;
    } catch (error) {
        showMessage($("doc-detail-msg"), error.message, "error", error.requestId);
    }
}

export function closeDetail() {
    detail = null;
    $("doc-detail").hidden = true;
}

function confirmDelete(doc) {
    const dialog = $("confirm-dialog");
    $("confirm-text").replaceChildren("Delete “", el("strong", {}, doc.title),
        "”? Its chunks and vectors are removed; this cannot be undone.");
    const ok = $("confirm-ok");
    const cancel = $("confirm-cancel");
    const finish = (confirmed) => {
        ok.onclick = null;
        cancel.onclick = null;
        dialog.close();
        if (confirmed) remove(doc);
    };
    ok.onclick = () => finish(true);
    cancel.onclick = () => finish(false);
    dialog.showModal();
    cancel.focus(); // the safe choice is the default
}

async function remove(doc) {
    const area = $("documents-msg");
    try {
        const { meta } = await call("DELETE", "/v1/documents/" + encodeURIComponent(doc.id));
        if (detail && detail.id === doc.id) closeDetail();
        await loadPage(page);
        showMessage(area, "Deleted “" + doc.title + "”.", "ok", meta.requestId);
    } catch (error) {
        showMessage(area, error.message, "error", error.requestId);
    }
}
