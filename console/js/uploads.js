// Uploading files: drag and drop or the file picker, several at once (two in flight),
// one row per file with its own progress bar and outcome.

import { upload } from "./api.js";
import { $, el, formatBytes, formatMs, plural } from "./dom.js";

const MAX_BYTES = 50 * 1024 * 1024; // nginx's client_max_body_size and ragd's MAX_BODY_BYTES
const PARALLEL = 2;

const queue = [];
let running = 0;
let onAllDone = () => {};

export function initUploads(whenDone) {
    onAllDone = whenDone;
    const input = $("file-input");
    input.addEventListener("change", () => {
        addFiles(input.files);
        input.value = "";
    });
    const zone = $("drop-zone");
    zone.addEventListener("dragover", (e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = "copy";
        zone.classList.add("over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => {
        e.preventDefault();
        zone.classList.remove("over");
        addFiles(e.dataTransfer.files);
    });
    // A file dropped next to the zone must not make the browser open it instead.
    window.addEventListener("dragover", (e) => e.preventDefault());
    window.addEventListener("drop", (e) => e.preventDefault());
}

function addFiles(files) {
    for (const file of Array.from(files || [])) {
        const row = uploadRow(file);
        $("upload-list").prepend(row.node);
        if (file.size > MAX_BYTES) {
            row.fail("Too large: the server accepts at most 50 MiB per upload.");
            continue;
        }
        queue.push({ file, row });
    }
    pump();
}

function pump() {
    while (running < PARALLEL && queue.length > 0) {
        const { file, row } = queue.shift();
        running += 1;
        row.start();
        upload(file, (loaded, total) => row.progress(loaded, total))
            .promise.then(({ body, meta }) => row.succeed(body, meta))
            .catch((error) => row.fail(error.message, error.requestId))
            .finally(() => {
                running -= 1;
                if (running === 0 && queue.length === 0) onAllDone();
                pump();
            });
    }
}

function uploadRow(file) {
    const bar = el("progress", { max: "100", value: "0", "aria-label": "Upload progress of " + file.name });
    const status = el("span", { class: "upload-status" }, "queued");
    const node = el("li", { class: "upload", "data-state": "queued" },
        el("span", { class: "upload-name" }, file.name),
        el("span", { class: "small" }, formatBytes(file.size)),
        bar, status);
    const set = (state, text) => {
        node.dataset.state = state;
        status.textContent = text;
    };
    return {
        node,
        start: () => set("sending", "sending…"),
        progress(loaded, total) {
            bar.value = Math.round((loaded / total) * 100);
            if (loaded >= total) set("processing", "sent; chunking and indexing…");
        },
        succeed(body, meta) {
            bar.value = 100;
            const what = body.duplicate ? "already stored (duplicate)" : "ready";
            set("done", what + ": " + plural(body.chunks, "chunk") + ", “" + body.title + "” · " + formatMs(meta.ms) +
                (meta.requestId ? " · request " + meta.requestId : ""));
        },
        fail(message, requestId = "") {
            node.setAttribute("role", "alert");
            set("error", message + (requestId ? " Request id: " + requestId : ""));
        },
    };
}
