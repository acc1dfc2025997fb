// The API's interactive documentation (Swagger UI, served from this site, no inline script).
"use strict";

window.addEventListener("load", () => {
  SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
