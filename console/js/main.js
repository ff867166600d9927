// The ragd web console: wiring. Sections: documents (upload, list, chunks, delete),
// search, ask. The token form gates everything; the URL hash picks the section.

import { initAsk } from "./ask.js";
import { $, el, formatDate } from "./dom.js";
import { closeDetail, initDocuments, reset as reloadDocuments } from "./documents.js";
import { initPassage } from "./passage.js";
import { initSearch } from "./search.js";
import { claims, forgetToken, getToken, isRemembered, setToken } from "./token.js";
import { initUploads } from "./uploads.js";

const PANELS = ["documents", "search", "ask"];

function showPanel() {
    const wanted = location.hash.slice(1);
    const current = PANELS.includes(wanted) ? wanted : "documents";
    for (const name of PANELS) {
        $("panel-" + name).hidden = name !== current;
        const link = document.querySelector('nav a[data-panel="' + name + '"]');
        if (name === current) link.setAttribute("aria-current", "page");
        else link.removeAttribute("aria-current");
    }
}

function showTokenStatus() {
    const status = $("token-status");
    const token = getToken();
    if (!token) {
        status.replaceChildren(el("span", { class: "warn" }, "No token yet: paste one to start."));
        return;
    }
    const c = claims(token);
    if (!c) {
        status.replaceChildren(el("span", { class: "warn" }, "This does not look like a JWT; the server will decide."));
        return;
    }
    const expires = typeof c.exp === "number" ? new Date(c.exp * 1000) : null;
    const expired = expires && expires.getTime() < Date.now();
    status.replaceChildren(
        "Tenant ", el("strong", {}, String(c.tenant ?? "?")),
        " · scopes ", el("code", {}, String(c.scope ?? "")),
        expires ? " · " + (expired ? "expired " : "expires ") + formatDate(expires.toISOString()) : "",
        isRemembered() ? " · remembered on this device" : "");
    if (expired) status.classList.add("warn");
    else status.classList.remove("warn");
}

// Another token may be another tenant: nothing of the previous one stays on screen.
function clearViews() {
    for (const id of ["upload-list", "doc-list", "search-results", "search-msg", "search-meta", "answer", "sources",
                      "ask-msg", "ask-meta", "documents-msg", "documents-meta"]) {
        $(id).replaceChildren();
    }
    closeDetail();
}

function initToken() {
    const input = $("token-input");
    $("token-remember").checked = isRemembered();
    $("token-form").addEventListener("submit", (e) => {
        e.preventDefault();
        if (!input.value.trim()) return;
        setToken(input.value, $("token-remember").checked);
        input.value = "";
        clearViews();
        showTokenStatus();
        reloadDocuments();
    });
    $("token-forget").addEventListener("click", () => {
        forgetToken();
        input.value = "";
        clearViews();
        $("token-remember").checked = false;
        showTokenStatus();
    });
    showTokenStatus();
}

initToken();
initDocuments();
initUploads(() => reloadDocuments());
initSearch();
initAsk();
initPassage();
window.addEventListener("hashchange", showPanel);
showPanel();
if (getToken()) reloadDocuments();
document.body.dataset.ready = "true";
