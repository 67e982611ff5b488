/* deskpress site search: reads the prebuilt search/index.json and filters it as you type.
   No dependencies, nothing loaded from other hosts. Without JavaScript the form still works
   (it asks a web search engine, restricted to this site) and the page links to the archives. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-index]");
  if (!form || !window.fetch) { return; }
  var input = form.querySelector("input[name=q]");
  var results = document.getElementById("search-results");
  var note = document.getElementById("search-note");
  var posts = null;

  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function prepare(post) {
    post.haystack = fold([post.title, post.summary, post.category].concat(post.tags).join(" "));
    post.titleFolded = fold(post.title);
    return post;
  }

  function search(query) {
    var terms = fold(query).split(/\s+/).filter(Boolean);
    if (!terms.length) { return []; }
    return posts.filter(function (post) {
      return terms.every(function (term) { return post.haystack.indexOf(term) !== -1; });
    }).map(function (post, order) {
      var inTitle = terms.filter(function (term) { return post.titleFolded.indexOf(term) !== -1; }).length;
      return { post: post, score: inTitle, order: order };
    }).sort(function (a, b) { return b.score - a.score || a.order - b.order; })
      .map(function (hit) { return hit.post; });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function show(query) {
    results.textContent = "";
    if (!query.trim()) { return; }
    var hits = search(query);
    var count = hits.length === 1 ? "1 post matches" : hits.length + " posts match";
    results.appendChild(element("p", "search-count", count + " \u201c" + query.trim() + "\u201d."));
    if (!hits.length) { return; }
    var list = element("ol", "search-hits");
    hits.slice(0, 50).forEach(function (post) {
      var item = element("li");
      var link = element("a", null, post.title);
      link.href = post.url;
      item.appendChild(element("h2", "search-hit-title")).appendChild(link);
      item.appendChild(element("p", "search-hit-meta", post.date_text + " \u00b7 " + post.category));
      if (post.summary) { item.appendChild(element("p", "search-hit-summary", post.summary)); }
      list.appendChild(item);
    });
    results.appendChild(list);
  }

  function update() {
    var query = input.value;
    var url = new URL(window.location.href);
    if (query.trim()) { url.searchParams.set("q", query); } else { url.searchParams.delete("q"); }
    window.history.replaceState(null, "", url);
    show(query);
  }

  fetch(form.getAttribute("data-index"))
    .then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    })
    .then(function (index) {
      posts = index.posts.map(prepare);
      note.textContent = "Results appear below as you type; every published post is searched.";
      form.addEventListener("submit", function (event) { event.preventDefault(); update(); });
      input.addEventListener("input", update);
      input.value = new URLSearchParams(window.location.search).get("q") || "";
      show(input.value);
    })
    .catch(function () { /* the plain form and the archive links still work */ });
}());
