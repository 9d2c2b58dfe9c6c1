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
  /* fit the view to the precomputed positions before the first draw (vis's own fit needs drawn labels) */
  function fitView() {
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    payload.nodes.forEach(function (n) {
      var r = (n.size || 10) + (n.keep ? 120 : 30);
      x0 = Math.min(x0, n.x - r); x1 = Math.max(x1, n.x + r);
      y0 = Math.min(y0, n.y - r); y1 = Math.max(y1, n.y + r);
    });
    if (!isFinite(x0)) { return; }
    var w = container.clientWidth || 800, h = container.clientHeight || 600;
    var scale = Math.min(w / (x1 - x0), h / (y1 - y0), 1.5);
    network.moveTo({ position: { x: (x0 + x1) / 2, y: (y0 + y1) / 2 }, scale: scale, animation: false });
  }
  fitView();
  view.fitView = fitView;
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
  var status = document.getElementById("status");
  function passes(item, chosen) {
    var f = item.facets;
    if (!f) { return true; }
    for (var key in chosen) {
      if (Object.prototype.hasOwnProperty.call(f, key) && f[key].indexOf(chosen[key]) < 0) { return false; }
    }
    return true;
  }
  function applyFilters() {
    var chosen = {}, any = false;
    selects.forEach(function (s) { if (s.value) { chosen[s.getAttribute("data-facet")] = s.value; any = true; } });
    var nodeOk = {}, reached = {}, nodeUpdates = [], edgeUpdates = [], shownNodes = 0, shownEdges = 0;
    payload.nodes.forEach(function (n) { nodeOk[n.id] = passes(n, chosen); });
    payload.edges.forEach(function (e) {
      var ok = !any || (passes(e, chosen) && nodeOk[e.from] && nodeOk[e.to]);
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
  selects.forEach(function (s) { s.addEventListener("change", applyFilters); });
  form.addEventListener("reset", function () { setTimeout(applyFilters, 0); });
  form.addEventListener("submit", function (e) { e.preventDefault(); });

  /* index search links land here as page.html#n12 */
  function focusFromHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id || !nodes.get(id)) { return; }
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
