"""The query page: Oxigraph's bundled YASGUI (served through the gateway), configured to reach nothing but us.

YASGUI by default fetches prefixes from prefix.cc and class/property names from LOV while one types; the page
points the prefix list at the gateway's ``/prefixes.json`` and turns the web lookups off, so it works offline and
leaks no keystrokes. The project's named queries (``queries/**/*.rq``, served as JSON at ``/queries``) are listed
beside the editor; a click loads one into it.
"""

from __future__ import annotations

from pathlib import Path

from kg.errors import KgError
from kg.queries import load_query

ASSETS = {
    "/yasgui.min.js": "application/javascript; charset=utf-8",
    "/yasgui.min.css": "text/css; charset=utf-8",
    "/logo.svg": "image/svg+xml",
}


def example_queries(queries_dir: Path) -> list[dict[str, object]]:
    """The named queries as JSON-ready records (an unreadable file is skipped, not fatal)."""
    if not queries_dir.is_dir():
        return []
    out: list[dict[str, object]] = []
    for path in sorted(queries_dir.rglob("*.rq")):
        try:
            query = load_query(str(path), queries_dir)
        except (KgError, OSError, UnicodeDecodeError):
            continue
        out.append(
            {
                "name": query.name,
                "title": query.title or query.name,
                "purpose": query.purpose,
                "params": query.params,
                "text": query.text,
            }
        )
    return out


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>govkg · SPARQL</title>
<link href="yasgui.min.css" rel="stylesheet" type="text/css">
<link rel="icon" type="image/svg+xml" href="logo.svg">
<script src="yasgui.min.js"></script>
<style>
  body { margin: 0; font-family: system-ui, sans-serif; }
  header { padding: 0.5rem 1rem; border-bottom: 1px solid #ddd; }
  header h1 { font-size: 1.2rem; margin: 0; }
  header p { margin: 0.2rem 0 0; font-size: 0.85rem; color: #555; }
  #layout { display: flex; align-items: flex-start; }
  #examples-panel { width: 17rem; flex: none; padding: 0.5rem 1rem; font-size: 0.9rem; }
  #examples-panel h2 { font-size: 1rem; }
  #examples { list-style: none; padding: 0; margin: 0; }
  #examples li { margin-bottom: 0.6rem; }
  #examples button { text-align: left; width: 100%; cursor: pointer; padding: 0.3rem; }
  #examples .purpose, #examples .params { display: block; color: #555; font-size: 0.8rem; }
  main { flex: 1; min-width: 0; }
</style>
</head>
<body>
<header>
  <h1>govkg SPARQL endpoint</h1>
  <p>Read-only; the default graph is the union of all graphs. POST or GET queries to <code>/sparql</code>.
  <a href="service-description">Service description</a> · <a href=".well-known/void">VoID</a> ·
  <a href="queries">Example queries (JSON)</a></p>
</header>
<div id="layout">
  <aside id="examples-panel">
    <h2>Example queries</h2>
    <p id="examples-status">Loading…</p>
    <ul id="examples"></ul>
  </aside>
  <main><div id="yasgui"></div></main>
</div>
<script>
(function () {
  "use strict";
  var origin = window.location.origin;
  var endpoint = origin + "/sparql";
  Yasgui.Yasqe.defaults.prefixCcApi = origin + "/prefixes.json";
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; }, keys: [] }
  });
  window.kgYasgui = yasgui;
  var list = document.getElementById("examples");
  var status = document.getElementById("examples-status");
  fetch(origin + "/queries").then(function (response) {
    if (!response.ok) { throw new Error("HTTP " + response.status); }
    return response.json();
  }).then(function (queries) {
    status.textContent = queries.length ? "Click one to load it into the editor." : "No example queries.";
    queries.forEach(function (query) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "example";
      button.dataset.name = query.name;
      button.textContent = query.title;
      button.addEventListener("click", function () {
        var tab = yasgui.getTab();
        tab.setEndpoint(endpoint);
        tab.setQuery(query.text);
      });
      item.appendChild(button);
      if (query.purpose) {
        var purpose = document.createElement("span");
        purpose.className = "purpose";
        purpose.textContent = query.purpose;
        item.appendChild(purpose);
      }
      var names = Object.keys(query.params || {});
      if (names.length) {
        var params = document.createElement("span");
        params.className = "params";
        var vars = names.map(function (n) { return "?" + n; }).join(" ");
        params.textContent = "parameters (bind them with VALUES): " + vars;
        item.appendChild(params);
      }
      list.appendChild(item);
    });
  }).catch(function (error) {
    status.textContent = "Example queries unavailable: " + error.message;
  });
})();
</script>
</body>
</html>
"""
