// Building the page from data. Every string from the API (titles, passages, answers,
// error details) becomes a text node: nothing in the console parses HTML, and the
// Content-Security-Policy (Trusted Types) makes any HTML sink throw.

export const $ = (id) => document.getElementById(id);

// el("li", {class: "x", onclick: f}, "text", child): attribute values are set as
// attributes, never as markup; `text` sets textContent; children are nodes or strings.
export function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
        if (value === null || value === undefined || value === false) continue;
        if (name === "class") node.className = value;
        else if (name === "text") node.textContent = String(value);
        else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
        else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
        if (child === null || child === undefined || child === false) continue;
        node.append(child instanceof Node ? child : String(child));
    }
    return node;
}

// A message in a panel's live region: kind "error" (role=alert), "ok" or "info".
export function showMessage(area, text, kind = "info", requestId = "") {
    const p = el("p", { class: "msg-" + kind, role: kind === "error" ? "alert" : null }, text);
    if (requestId) p.append(el("span", { class: "rid" }, " Request id: ", el("code", {}, requestId)));
    area.replaceChildren(p);
}

export function clearMessage(area) {
    area.replaceChildren();
}

export function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
}

// " · page 12" or " · pages 12–13" for a passage of a PDF; "" for other formats.
export function formatPages(item) {
    const start = item.page_start, end = item.page_end;
    if (start === null || start === undefined) return "";
    return end && end !== start ? " · pages " + start + "–" + end : " · page " + start;
}

export function formatBytes(n) {
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KiB";
    return (n / 1024 / 1024).toFixed(1) + " MiB";
}

export function formatMs(ms) {
    return ms < 10 ? ms.toFixed(1) + " ms" : Math.round(ms) + " ms";
}

export function formatDate(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

// "embed 0.4 ms, retrieve 9.1 ms": the server's stage timings (milliseconds).
export function formatTimings(timings) {
    if (!timings || typeof timings !== "object") return "";
    return Object.entries(timings)
        .filter(([, v]) => typeof v === "number")
        .map(([k, v]) => k + " " + formatMs(v))
        .join(", ");
}

// The line under a panel: request id, time in the browser, the server's stages.
export function showMeta(node, meta, timings, extra = "") {
    const parts = [];
    if (meta && meta.requestId) parts.push(el("span", {}, "Request id ", el("code", {}, meta.requestId)));
    if (meta && typeof meta.ms === "number") parts.push(el("span", {}, "took " + formatMs(meta.ms)));
    const stages = formatTimings(timings);
    if (stages) parts.push(el("span", {}, "server: " + stages));
    if (extra) parts.push(el("span", {}, extra));
    node.replaceChildren(...parts.flatMap((p, i) => (i ? [" · ", p] : [p])));
}
