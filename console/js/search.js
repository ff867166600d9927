// Search: POST /v1/search with a mode and top_k; ranked passages with the fused score
// and the rank each leg (vector, keyword) gave them.

import { call } from "./api.js";
import { $, clearMessage, el, formatPages, showMessage, showMeta } from "./dom.js";
import { openDocument } from "./documents.js";

export function initSearch() {
    $("search-form").addEventListener("submit", (e) => {
        e.preventDefault();
        search();
    });
}

async function search() {
    const area = $("search-msg");
    const query = $("search-query").value.trim();
    if (!query) return;
    const request = { query, mode: $("search-mode").value, top_k: Number($("search-topk").value) };
    showMessage(area, "Searching…");
    $("search-results").setAttribute("aria-busy", "true");
    try {
        const { body, meta } = await call("POST", "/v1/search", { json: request });
        $("search-results").replaceChildren(...body.results.map(resultItem));
        if (body.results.length === 0) showMessage(area, "No passage matched.");
        else clearMessage(area);
        showMeta($("search-meta"), meta, body.timings, body.results.length + " results, mode " + body.mode);
    } catch (error) {
        showMessage(area, error.message, "error", error.requestId);
    } finally {
        $("search-results").setAttribute("aria-busy", "false");
    }
}

function rank(label, value) {
    return value === null || value === undefined ? label + ": not ranked" : label + " rank " + value;
}

function resultItem(hit) {
    return el("li", { class: "result", "data-chunk-id": hit.chunk_id },
        el("div", { class: "result-head" },
            el("strong", { class: "result-title" }, hit.title),
            el("span", { class: "small" }, " · passage #" + hit.ordinal + formatPages(hit))),
        el("p", { class: "scores small" },
            "score " + Number(hit.score).toFixed(4) + " · " + rank("vector", hit.ranks.vector) + " · " +
            rank("keyword", hit.ranks.keyword)),
        el("div", { class: "passage-text" }, hit.text),
        el("button", { type: "button", class: "secondary small-button", onclick: () => openDocument(hit.document_id) },
            "Open document"));
}
