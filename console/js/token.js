// The API token. Kept in memory and in sessionStorage (this tab only), and in
// localStorage only when the user ticks "remember". Never put in a URL or a cookie:
// it travels only in the Authorization header.

const KEY = "ragd.console.token";
let current = read(sessionStorage) || read(localStorage) || "";

function read(storage) {
    try {
        return storage.getItem(KEY) || "";
    } catch {
        return ""; // storage disabled: memory only
    }
}

function write(storage, value) {
    try {
        if (value) storage.setItem(KEY, value);
        else storage.removeItem(KEY);
    } catch {
        // storage disabled: memory only
    }
}

export function getToken() {
    return current;
}

export function isRemembered() {
    return read(localStorage) !== "";
}

export function setToken(value, remember) {
    current = value.trim().replace(/^Bearer\s+/i, "");
    write(sessionStorage, current);
    write(localStorage, remember ? current : "");
}

export function forgetToken() {
    current = "";
    write(sessionStorage, "");
    write(localStorage, "");
}

// The token's claims, for display only (the server verifies the signature): null when
// it is not a readable JWT.
export function claims(token) {
    const parts = token.split(".");
    if (parts.length !== 3) return null;
    try {
        const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        const payload = JSON.parse(new TextDecoder().decode(bytes));
        return payload && typeof payload === "object" ? payload : null;
    } catch {
        return null;
    }
}
