// The ragd API on this origin: JSON calls, uploads with progress (XMLHttpRequest, the
// only browser API that reports upload progress), answer streams (fetch and a
// ReadableStream: EventSource cannot send an Authorization header), and the
// problem+json errors turned into sentences a person can act on.

import { getToken } from "./token.js";

export class ApiError extends Error {
    constructor(message, { status = 0, requestId = "", retryAfter = null } = {}) {
        super(message);
        this.status = status;
        this.requestId = requestId;
        this.retryAfter = retryAfter;
    }
}

// One sentence for an HTTP status and its problem object (RFC 9457).
export function describe(status, problem, retryAfter) {
    const detail = problem && typeof problem.detail === "string" ? problem.detail : "";
    const title = problem && typeof problem.title === "string" ? problem.title : "";
    const with_ = (text) => (detail ? text + " " + detail : text);
    switch (status) {
        case 0:
            return "Could not reach the server: the network failed or the server is down.";
        case 400:
            return with_("The server could not read the request.");
        case 401:
            return with_("Not signed in: the token is missing, expired or not valid here. Paste a fresh token above.");
        case 403:
            return with_("Not allowed: your token lacks the scope this action needs.");
        case 404:
            return with_("Not found (it may have been deleted).");
        case 413:
            return "Too large: the server accepts at most 50 MiB per upload.";
        case 415:
            return with_("Unsupported file type: upload plain text (.txt), Markdown (.md), HTML (.html), PDF (.pdf) or Word (.docx).");
        case 422:
            return with_("Invalid input:");
        case 429: {
            const wait = retryAfter ? "Try again in " + retryAfter + " s." : "Try again shortly.";
            return "Rate limit reached: too many requests for this token. " + wait;
        }
        case 502:
        case 503:
        case 504: {
            const dependency = problem && typeof problem.dependency === "string" ? " (" + problem.dependency + ")" : "";
            const wait = retryAfter ? " Try again in " + retryAfter + " s." : " Try again shortly.";
            return with_("The server or a service it needs" + dependency + " is unavailable.") + wait;
        }
        default:
            return with_("Request failed: " + status + (title ? " " + title : "") + ".");
    }
}

function authHeaders(extra = {}) {
    const headers = { Accept: "application/json", ...extra };
    const token = getToken();
    if (token) headers.Authorization = "Bearer " + token;
    return headers;
}

function metaOf(headers, started) {
    return {
        requestId: headers.get("X-Request-ID") || "",
        cache: headers.get("X-Cache") || "",
        ms: performance.now() - started,
    };
}

async function errorFrom(response) {
    let problem = null;
    try {
        problem = JSON.parse(await response.text());
    } catch {
        problem = null; // nginx or a proxy answered without JSON
    }
    const retryAfter = response.headers.get("Retry-After");
    const requestId = response.headers.get("X-Request-ID") || (problem && problem.request_id) || "";
    return new ApiError(describe(response.status, problem, retryAfter), {
        status: response.status,
        requestId: String(requestId),
        retryAfter,
    });
}

// A JSON call: resolves {body, meta}; rejects with ApiError (or AbortError).
export async function call(method, path, { json, signal } = {}) {
    const started = performance.now();
    const init = { method, signal, cache: "no-store", credentials: "omit", headers: authHeaders() };
    if (json !== undefined) {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(json);
    }
    let response;
    try {
        response = await fetch(path, init);
    } catch (error) {
        if (error.name === "AbortError") throw error;
        throw new ApiError(describe(0));
    }
    if (!response.ok) throw await errorFrom(response);
    const body = response.status === 204 ? null : await response.json();
    return { body, meta: metaOf(response.headers, started) };
}

// Upload one file as multipart/form-data. onProgress(loaded, total) follows the bytes
// sent. Returns {promise, abort}; the promise resolves {body, meta}.
export function upload(file, onProgress) {
    const xhr = new XMLHttpRequest();
    const started = performance.now();
    const promise = new Promise((resolve, reject) => {
        xhr.open("POST", "/v1/documents");
        for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
        xhr.upload.addEventListener("progress", (e) => {
            if (e.lengthComputable) onProgress(e.loaded, e.total);
        });
        xhr.addEventListener("load", () => {
            const headers = { get: (name) => xhr.getResponseHeader(name) };
            let body = null;
            try {
                body = JSON.parse(xhr.responseText);
            } catch {
                body = null;
            }
            if (xhr.status >= 200 && xhr.status < 300) {
                resolve({ body, meta: metaOf(headers, started) });
            } else {
                const retryAfter = xhr.getResponseHeader("Retry-After");
                reject(new ApiError(describe(xhr.status, body, retryAfter), {
                    status: xhr.status,
                    requestId: xhr.getResponseHeader("X-Request-ID") || (body && body.request_id) || "",
                    retryAfter,
                }));
            }
        });
        xhr.addEventListener("error", () => reject(new ApiError(describe(0))));
        xhr.addEventListener("abort", () => reject(new DOMException("Upload cancelled", "AbortError")));
        const form = new FormData();
        form.append("file", file, file.name);
        xhr.send(form);
    });
    return { promise, abort: () => xhr.abort() };
}

// POST a JSON body and read the answer as server-sent events: onEvent(name, data) for
// each event (data parsed as JSON). Resolves {meta} when the stream ends; whether it
// ended properly (a `done` or `error` event) is for the caller to judge.
export async function stream(path, json, onEvent, signal) {
    const started = performance.now();
    const headers = authHeaders({ Accept: "text/event-stream", "Content-Type": "application/json" });
    let response;
    try {
        response = await fetch(path, {
            method: "POST", headers, body: JSON.stringify(json), signal, cache: "no-store", credentials: "omit",
        });
    } catch (error) {
        if (error.name === "AbortError") throw error;
        throw new ApiError(describe(0));
    }
    if (!response.ok) throw await errorFrom(response);
    const meta = metaOf(response.headers, started);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
        const { value, done } = await reader.read(); // rejects when the connection breaks
        if (done) break;
        buffer += value.replace(/\r\n?/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            dispatch(block, onEvent);
        }
    }
    meta.ms = performance.now() - started;
    return { meta };
}

// One event block: "event: NAME" and "data: ..." lines; ":" lines are comments
// (the server's keep-alive).
function dispatch(block, onEvent) {
    let name = "message";
    const data = [];
    for (const line of block.split("\n")) {
        if (line === "" || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") name = value;
        else if (field === "data") data.push(value);
    }
    if (data.length === 0) return;
    let parsed;
    try {
        parsed = JSON.parse(data.join("\n"));
    } catch {
        parsed = null;
    }
    onEvent(name, parsed);
}
