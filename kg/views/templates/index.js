/* govkg index: label search over every node of every page (text only; results built with textContent). */
(function () {
  "use strict";
  var index = JSON.parse(document.getElementById("search-data").textContent);
  var input = document.getElementById("q");
  var list = document.getElementById("results");
  var hits = document.getElementById("hits");
  var MAX = 50;
  var folded = index.nodes.map(function (n) { return n[0].toLowerCase(); });
  function search() {
    var q = input.value.trim().toLowerCase();
    while (list.firstChild) { list.removeChild(list.firstChild); }
    if (!q) { hits.textContent = ""; return; }
    var found = 0;
    for (var i = 0; i < index.nodes.length; i++) {
      if (folded[i].indexOf(q) < 0) { continue; }
      found += 1;
      if (found > MAX) { continue; }
      var n = index.nodes[i], page = index.pages[n[2]];
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.setAttribute("href", page[0] + "#" + n[3]);
      a.textContent = n[0];
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = index.kinds[n[1]] + " · " + page[1];
      li.appendChild(a);
      li.appendChild(kind);
      list.appendChild(li);
    }
    hits.textContent = found > MAX ? found + " matches, first " + MAX + " shown" : found + " matches";
  }
  input.addEventListener("input", search);
  window.govkgSearch = search;
})();
