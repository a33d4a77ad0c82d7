/* Hover cards for entity mentions: data comes from the page itself, so it works from disk. */
(function () {
  "use strict";
  var source = document.getElementById("entity-cards");
  if (!source) return;
  var cards = JSON.parse(source.textContent || "{}");
  var card = null;
  function hide() { if (card) { card.remove(); card = null; } }
  function show(link) {
    var data = cards[link.getAttribute("data-entity")];
    if (!data) return;
    hide();
    card = document.createElement("div");
    card.className = "card";
    card.setAttribute("role", "tooltip");
    card.id = "entity-card";
    var name = document.createElement("strong");
    name.textContent = data.name;
    var type = document.createElement("span");
    type.className = "card-type";
    type.textContent = data.type;
    var summary = document.createElement("p");
    summary.textContent = data.summary;
    card.append(name, " ", type, summary);
    document.body.appendChild(card);
    var box = link.getBoundingClientRect();
    card.style.top = window.scrollY + box.bottom + 6 + "px";
    card.style.left = Math.max(8, Math.min(window.scrollX + box.left, window.scrollX + document.documentElement.clientWidth - card.offsetWidth - 8)) + "px";
    link.setAttribute("aria-describedby", "entity-card");
  }
  document.querySelectorAll("a.mention").forEach(function (link) {
    link.addEventListener("mouseenter", function () { show(link); });
    link.addEventListener("focus", function () { show(link); });
    link.addEventListener("mouseleave", hide);
    link.addEventListener("blur", hide);
  });
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") hide(); });
})();
