// Swagger UI on the combined document (no inline script: the page's CSP allows only ours).
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    displayOperationId: true
  });
})();
