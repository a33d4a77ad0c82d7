/* The search page: Pagefind's own UI over the bundle at the site's root, wherever the site is
   served from (a domain root or a subpath), prefilled from ?q= and keeping ?q= in the address.
   A large archive's index is in parts: shards.json, beside the first part, names the others,
   which Pagefind merges in, so that one search covers them all. */
(function () {
  "use strict";
  var root = document.getElementById("search");
  var script = document.querySelector("script[data-pagefind-ui]");
  if (!root || !script || typeof PagefindUI === "undefined") return;
  if (window.location.protocol === "file:") {
    // Browsers do not let a page opened from disk load the index: say so rather than hang.
    var offline = document.getElementById("search-offline");
    if (offline) offline.hidden = false;
    root.hidden = true;
    return;
  }
  var bundle = new URL("./", script.src);
  var baseUrl = new URL("../", bundle).pathname;

  function start(merge) {
    var ui = new PagefindUI({
      element: "#search",
      bundlePath: bundle.pathname,
      baseUrl: baseUrl,
      mergeIndex: merge.map(function (folder) {
        return { bundlePath: new URL(folder, bundle).pathname, baseUrl: baseUrl };
      }),
      showImages: false,
      showSubResults: false,
      translations: { placeholder: root.getAttribute("data-placeholder") },
    });
    // Pagefind names its field by a placeholder only; a screen reader needs a label.
    var field = root.querySelector("input");
    if (field) field.setAttribute("aria-label", root.getAttribute("data-placeholder"));
    var query = new URLSearchParams(window.location.search).get("q");
    if (query) ui.triggerSearch(query);
  }

  fetch(new URL("shards.json", bundle))
    .then(function (response) {
      return response.ok ? response.json() : { merge: [] };
    })
    .catch(function () {
      return { merge: [] };
    })
    .then(function (shards) {
      start(Array.isArray(shards.merge) ? shards.merge : []);
    });

  root.addEventListener("input", function (event) {
    if (!event.target.matches("input[type=text], input[type=search]")) return;
    var url = new URL(window.location.href);
    if (event.target.value) url.searchParams.set("q", event.target.value);
    else url.searchParams.delete("q");
    window.history.replaceState(null, "", url);
  });
})();
