/* govkg network page: draws the embedded graph with vis-network (positions precomputed, no physics),
   shows escaped tooltips, filters by facet, and focuses the node named in the URL fragment (#n12). */
(function () {
  "use strict";
  var payload = JSON.parse(document.getElementById("graph-data").textContent);
  var container = document.getElementById("network");
  var nodes = new vis.DataSet(payload.nodes);
  var edges = new vis.DataSet(payload.edges);
  var view = { firstDraw: null, nodes: nodes, edges: edges };
  window.govkgView = view;
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, payload.options);
  view.network = network;
  /* fit the view to the precomputed positions and labels before the first draw (vis's own fit needs drawn
     labels); label widths are estimated as in Python: a CJK character is one em, anything else 0.62 em */
  var FONT = (payload.options.nodes && payload.options.nodes.font && payload.options.nodes.font.size) || 12;
  function textWidth(s, font) {
    var em = 0;
    for (var i = 0; i < s.length; i++) { em += s.charCodeAt(i) >= 0x2E80 ? 1 : 0.62; }
    return em * font;
  }
  function fitView() {
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    payload.nodes.forEach(function (n) {
      var size = n.size || 10, font = (n.font && n.font.size) || FONT, w = textWidth(String(n.label || ""), font);
      var half = Math.max(size, w / 2) + 8, above = size + 8, below = n.keep ? font : size + 4 + 1.3 * font + 8;
      x0 = Math.min(x0, n.x - half); x1 = Math.max(x1, n.x + half);
      y0 = Math.min(y0, n.y - above); y1 = Math.max(y1, n.y + below);
    });
    if (!isFinite(x0)) { return; }
    var w = container.clientWidth || 800, h = container.clientHeight || 600;
    var scale = Math.min(w / (x1 - x0), h / (y1 - y0), 1.5);
    network.moveTo({ position: { x: (x0 + x1) / 2, y: (y0 + y1) / 2 }, scale: scale, animation: false });
  }
  fitView();
  view.fitView = fitView;
  /* until the reader zooms, drags or jumps to a node, a resized window (or a page opened at another size) refits */
  var moved = false;
  network.on("zoom", function () { moved = true; });
  network.on("dragStart", function () { moved = true; });
  network.on("resize", function () {
    if (moved) { return; }
    fitView();
    /* vis restores its pre-resize camera right after this event (vis-network 9.1.2, as inlined): keep our fit */
    if (network.canvas && network.canvas.cameraState) { network.canvas.cameraState = {}; }
  });
  network.once("afterDrawing", function () {
    view.firstDraw = performance.now();
    document.documentElement.setAttribute("data-drawn", "1");
  });

  /* tooltips: titles are HTML built server-side with every scraped string escaped */
  var tip = document.getElementById("tip");
  var pinned = false;
  function showTip(html, x, y) {
    if (!html) { hideTip(true); return; }
    tip.innerHTML = html;
    tip.hidden = false;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    var left = Math.min(x + 14, window.innerWidth - w - 8);
    var top = y + 14 + h > window.innerHeight ? Math.max(8, y - h - 10) : y + 14;
    tip.style.left = Math.max(8, left) + "px";
    tip.style.top = top + "px";
  }
  function hideTip(force) {
    if (pinned && !force) { return; }
    pinned = false;
    tip.classList.remove("pinned");
    tip.hidden = true;
  }
  function screenPoint(domPoint) {
    var r = container.getBoundingClientRect();
    return { x: r.left + domPoint.x, y: r.top + domPoint.y };
  }
  function itemTip(kind, id, domPoint) {
    var item = (kind === "node" ? nodes : edges).get(id);
    if (!item) { return; }
    var p = domPoint ? screenPoint(domPoint) : { x: 40, y: 120 };
    showTip(item.title || "", p.x, p.y);
  }
  view.showNodeTip = function (id) { itemTip("node", id, null); };
  view.showEdgeTip = function (id) { itemTip("edge", id, null); };
  network.on("hoverNode", function (p) { if (!pinned) { itemTip("node", p.node, p.pointer.DOM); } });
  network.on("hoverEdge", function (p) { if (!pinned) { itemTip("edge", p.edge, p.pointer.DOM); } });
  network.on("blurNode", function () { hideTip(false); });
  network.on("blurEdge", function () { hideTip(false); });
  network.on("dragStart", function () { hideTip(false); });
  network.on("click", function (p) {
    if (p.nodes.length) { hideTip(true); itemTip("node", p.nodes[0], p.pointer.DOM); }
    else if (p.edges.length) { hideTip(true); itemTip("edge", p.edges[0], p.pointer.DOM); }
    else { hideTip(true); return; }
    pinned = !tip.hidden;
    tip.classList.toggle("pinned", pinned);
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") { hideTip(true); } });

  /* filters: an item with facets[key] passes when it holds the chosen value; once a filter is set, a node is
     shown only if one of its shown edges reaches it (nodes marked keep, like axis labels, always stay) */
  var form = document.getElementById("filters");
  var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-facet]"));
  var toggles = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][data-facet]"));
  var status = document.getElementById("status");
  function passes(item, chosen, excluded) {
    var f = item.facets, key;
    if (!f) { return true; }
    for (key in chosen) {
      if (Object.prototype.hasOwnProperty.call(f, key) && f[key].indexOf(chosen[key]) < 0) { return false; }
    }
    for (key in excluded) {
      if (Object.prototype.hasOwnProperty.call(f, key) && f[key].indexOf(excluded[key]) >= 0) { return false; }
    }
    return true;
  }
  function applyFilters() {
    var chosen = {}, excluded = {}, any = false;
    selects.forEach(function (s) { if (s.value) { chosen[s.getAttribute("data-facet")] = s.value; any = true; } });
    toggles.forEach(function (t) {
      if (!t.checked) { excluded[t.getAttribute("data-facet")] = t.getAttribute("data-exclude"); any = true; }
    });
    var nodeOk = {}, reached = {}, nodeUpdates = [], edgeUpdates = [], shownNodes = 0, shownEdges = 0;
    payload.nodes.forEach(function (n) { nodeOk[n.id] = passes(n, chosen, excluded); });
    payload.edges.forEach(function (e) {
      var ok = !any || (passes(e, chosen, excluded) && nodeOk[e.from] && nodeOk[e.to]);
      if (ok) { reached[e.from] = true; reached[e.to] = true; shownEdges += 1; }
      edgeUpdates.push({ id: e.id, hidden: !ok });
    });
    payload.nodes.forEach(function (n) {
      var ok = !any || n.keep || (nodeOk[n.id] && reached[n.id] === true);
      if (ok && !n.keep) { shownNodes += 1; }
      nodeUpdates.push({ id: n.id, hidden: !ok });
    });
    nodes.update(nodeUpdates);
    edges.update(edgeUpdates);
    status.textContent = shownNodes + " nodes · " + shownEdges + " edges" + (any ? " (filtered)" : "");
    hideTip(true);
  }
  view.applyFilters = applyFilters;
  selects.concat(toggles).forEach(function (s) { s.addEventListener("change", applyFilters); });
  form.addEventListener("reset", function () { setTimeout(applyFilters, 0); });
  form.addEventListener("submit", function (e) { e.preventDefault(); });

  /* index search links land here as page.html#n12 */
  function focusFromHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id || !nodes.get(id)) { return; }
    moved = true;
    network.selectNodes([id]);
    network.focus(id, { scale: 1.6, animation: false });
    var p = network.canvasToDOM(network.getPositions([id])[id]);
    var item = nodes.get(id);
    showTip(item.title || "", screenPoint(p).x, screenPoint(p).y);
    pinned = true;
    tip.classList.add("pinned");
  }
  window.addEventListener("hashchange", focusFromHash);
  network.once("afterDrawing", focusFromHash);
})();
