// A cited passage in a dialog: what the answer's source said (the snippet at once, then
// the whole chunk, found among its document's chunks).

import { call } from "./api.js";
import { $, clearMessage, el, formatPages, showMessage } from "./dom.js";
import { openDocument } from "./documents.js";

const PAGE = 200;
const MAX_PAGES = 20; // documents of up to 4000 chunks
let shown = null;

export function initPassage() {
    $("passage-close").addEventListener("click", () => $("passage-dialog").close());
    $("passage-open-doc").addEventListener("click", () => {
        $("passage-dialog").close();
        if (shown) openDocument(shown.document_id);
    });
}

export async function openPassage(source) {
    shown = source;
    const dialog = $("passage-dialog");
    $("passage-title").textContent = "[" + source.n + "] " + source.title;
    $("passage-meta").textContent = "score " + Number(source.score).toFixed(4) + formatPages(source);
    $("passage-text").replaceChildren(el("p", { class: "snippet" }, source.snippet));
    dialog.dataset.chunkId = source.chunk_id;
    dialog.dataset.state = "snippet";
    showMessage($("passage-msg"), "Loading the whole passage…");
    if (!dialog.open) dialog.showModal();
    try {
        const chunk = await findChunk(source.document_id, source.chunk_id);
        if (shown !== source) return;
        if (chunk) {
            $("passage-meta").textContent = "passage #" + chunk.ordinal + formatPages(chunk) + " · score " +
                Number(source.score).toFixed(4);
            $("passage-text").replaceChildren(el("div", { class: "passage-text" }, chunk.text));
            dialog.dataset.state = "full";
            clearMessage($("passage-msg"));
        } else {
            showMessage($("passage-msg"), "This passage is no longer in its document (it was changed or deleted).");
        }
    } catch (error) {
        if (shown === source) showMessage($("passage-msg"), error.message, "error", error.requestId);
    }
}

// The API has no "get one chunk"; a citation names its document and chunk id, so the
// document's chunks are read in pages until the chunk turns up.
async function findChunk(documentID, chunkID) {
    let offset = 0;
    for (let i = 0; i < MAX_PAGES && offset !== null; i++) {
        const { body } = await call("GET", "/v1/documents/" + encodeURIComponent(documentID) +
            "/chunks?limit=" + PAGE + "&offset=" + offset);
        const found = body.data.find((c) => c.id === chunkID);
        if (found) return found;
        offset = body.next_offset;
    }
    return null;
}
