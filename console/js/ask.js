// Ask: POST /v1/query with stream: true. The sources arrive first, then the answer's
// text in deltas (shown as it comes, its [n] markers turned into buttons that open the
// cited passage), then `done` with citations, usage and timings, or `error`.

import { stream } from "./api.js";
import { $, el, formatPages, showMessage, showMeta } from "./dom.js";
import { openPassage } from "./passage.js";

let controller = null;

export function initAsk() {
    $("ask-form").addEventListener("submit", (e) => {
        e.preventDefault();
        ask();
    });
    $("ask-stop").addEventListener("click", () => controller && controller.abort());
}

async function ask() {
    const question = $("ask-question").value.trim();
    if (!question || controller) return;
    const area = $("ask-msg");
    const answer = $("answer");
    const state = { text: "", sources: new Map(), deltas: 0, finished: null };
    const setState = (value) => {
        answer.dataset.state = value;
        answer.setAttribute("aria-busy", value === "streaming" ? "true" : "false");
    };
    controller = new AbortController();
    $("ask-submit").disabled = true;
    $("ask-stop").disabled = false;
    answer.replaceChildren();
    answer.dataset.deltas = "0";
    $("sources").replaceChildren();
    $("ask-meta").replaceChildren();
    showMessage(area, "Retrieving passages…");
    setState("streaming");

    const onEvent = (name, data) => {
        if (!data) return;
        if (name === "sources") {
            for (const s of data.sources || []) state.sources.set(s.n, s);
            renderSources(state.sources, new Set());
            showMessage(area, "Generating the answer…");
        } else if (name === "delta") {
            state.text += data.text || "";
            state.deltas += 1;
            answer.dataset.deltas = String(state.deltas);
            renderAnswer(answer, state.text, state.sources);
        } else if (name === "done") {
            state.finished = data;
        } else if (name === "error") {
            state.finished = { error: data };
        }
    };

    try {
        const { meta } = await stream("/v1/query", { question, top_k: Number($("ask-topk").value), stream: true },
            onEvent, controller.signal);
        const done = state.finished;
        if (done && done.error) {
            setState("error");
            showMessage(area, "The answer failed after it started: " + (done.error.title || "error") + ". " +
                (done.error.detail || ""), "error", meta.requestId);
        } else if (done) {
            setState("done");
            renderSources(state.sources, new Set((done.citations || []).map((c) => c.n)));
            showMessage(area, state.text ? "Answer complete." : "The model returned no text.", "ok");
            const usage = done.usage ? done.usage.prompt_tokens + "+" + done.usage.completion_tokens + " tokens" : "";
            showMeta($("ask-meta"), meta, done.timings,
                ["mode " + done.mode, usage, meta.cache ? "cache " + meta.cache : ""].filter(Boolean).join(" · "));
        } else {
            brokenStream(area, meta.requestId);
            setState("broken");
        }
    } catch (error) {
        if (error.name === "AbortError") {
            setState("stopped");
            showMessage(area, "Stopped. The partial answer is shown below.");
        } else if (error.status !== undefined) {
            setState("error");
            showMessage(area, error.message, "error", error.requestId);
        } else {
            // The connection broke while reading (fetch's reader rejects).
            setState("broken");
            brokenStream(area, "");
        }
    } finally {
        controller = null;
        $("ask-submit").disabled = false;
        $("ask-stop").disabled = true;
    }
}

function brokenStream(area, requestId) {
    showMessage(area, "The answer stream broke off before it finished (the connection or the server failed). " +
        "What arrived is shown below; ask again to get the whole answer.", "error", requestId);
}

// The answer's text with each [n] (also [1, 2] and [1][2]) that names a source as a
// button; everything else stays text.
function renderAnswer(node, text, sources) {
    const parts = [];
    const marker = /\[(\d+(?:\s*,\s*\d+)*)\]/g;
    let last = 0;
    let m;
    while ((m = marker.exec(text)) !== null) {
        const numbers = m[1].split(",").map((s) => Number(s.trim()));
        if (!numbers.every((n) => sources.has(n))) continue;
        parts.push(text.slice(last, m.index));
        for (const n of numbers) parts.push(citeButton(sources.get(n)));
        last = m.index + m[0].length;
    }
    parts.push(text.slice(last));
    node.replaceChildren(...parts);
}

function citeButton(source) {
    return el("button", {
        type: "button", class: "cite", "data-n": source.n, "aria-label": "Source " + source.n + ": " + source.title,
        onclick: () => openPassage(source),
    }, "[" + source.n + "]");
}

function renderSources(sources, cited) {
    $("sources").replaceChildren(...[...sources.values()].map((s) => el("li", { class: cited.has(s.n) ? "cited" : null },
        el("button", { type: "button", class: "link", "data-n": s.n, onclick: () => openPassage(s) },
            "[" + s.n + "] " + s.title),
        el("span", { class: "small" }, formatPages(s) + " · score " + Number(s.score).toFixed(4) + (cited.has(s.n) ? " · cited" : "")))));
}
