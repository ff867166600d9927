// The API docs page: Swagger UI (installed from PyPI by scripts/swagger-ui.sh, served
// by nginx from this origin) rendering /openapi.json, which ragd serves. No CDN, no
// other origin: the validator badge (validator.swagger.io) is off, and an authorization
// entered for "Try it out" stays in memory (persistAuthorization false).
"use strict";

(function () {
    var root = document.getElementById("swagger-ui");
    if (typeof window.SwaggerUIBundle !== "function") {
        var note = document.getElementById("docs-loading");
        note.textContent = "Swagger UI's files are missing on this server (scripts/swagger-ui.sh installs them). " +
            "The API description itself is at /openapi.json.";
        return;
    }
    window.ui = window.SwaggerUIBundle({
        url: "/openapi.json",
        domNode: root,
        presets: [window.SwaggerUIBundle.presets.apis],
        layout: "BaseLayout",
        deepLinking: true,
        validatorUrl: null,
        persistAuthorization: false,
        queryConfigEnabled: false,
        displayRequestDuration: true,
        defaultModelsExpandDepth: 0,
        tryItOutEnabled: false,
    });
})();
