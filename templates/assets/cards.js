/* Hover cards for entity mentions, in the manner of Wikipedia's Page Previews.
 *
 * The data is the page's own <script type="application/json" id="entity-cards">, keyed by the
 * data-entity slug of each a.mention, so nothing is fetched and the cards work from disk.
 * - Mouse: hovering a mention shows its card after a short delay; the card stays open while the
 *   pointer is over the mention or the card, and closes shortly after it leaves both.
 * - Keyboard: focus shows the card at once; Esc closes it; Tab moves on (focus never enters
 *   the card) and closes it. While shown, the mention is aria-describedby the card.
 * - Touch: the first tap shows the card with a "read more" link to the entity page; a second
 *   tap on the same mention follows it; a tap elsewhere closes the card.
 * The mention's title (the no-JavaScript fallback) is set aside while its card is shown, so the
 * browser does not draw a second tooltip over it.
 */
(function () {
  "use strict";
  var source = document.getElementById("entity-cards");
  if (!source || !document.body) return;
  var cards;
  try {
    cards = JSON.parse(source.textContent || "{}");
  } catch (error) {
    return;
  }
  var readMore = source.getAttribute("data-read-more") || "";
  var SHOW_DELAY = 250;
  var HIDE_DELAY = 300;
  var GAP = 6;
  var EDGE = 8;
  var TAP_WINDOW = 1000;

  var card = document.createElement("div");
  card.className = "entity-card";
  card.id = "entity-card";
  card.setAttribute("role", "tooltip");
  card.hidden = true;
  document.body.appendChild(card);

  var current = null;
  var openedBy = "";
  var showTimer = 0;
  var hideTimer = 0;
  var tap = { link: null, time: 0, wasOpen: false };

  function entryFor(link) {
    var slug = link.getAttribute("data-entity");
    return Object.prototype.hasOwnProperty.call(cards, slug) ? cards[slug] : null;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    node.className = className;
    node.textContent = text;
    return node;
  }

  function fill(entry, href) {
    card.textContent = "";
    card.appendChild(element("span", "card-type", entry.type || ""));
    card.appendChild(element("strong", "card-name", entry.name || ""));
    if (entry.summary) card.appendChild(element("p", "card-summary", entry.summary));
    if (href && readMore) {
      var more = element("a", "card-more", readMore);
      more.href = href;
      card.appendChild(more);
    }
  }

  function place(link) {
    var box = link.getBoundingClientRect();
    var rects = link.getClientRects();
    var startX = rects.length ? rects[rects.length - 1].left : box.left;
    var viewportWidth = document.documentElement.clientWidth;
    var viewportHeight = window.innerHeight;
    card.style.left = "0px";
    card.style.top = "0px";
    var width = card.offsetWidth;
    var height = card.offsetHeight;
    var left = Math.max(EDGE, Math.min(startX, viewportWidth - width - EDGE));
    var below = box.bottom + GAP;
    var above = box.top - GAP - height;
    var fitsBelow = below + height + EDGE <= viewportHeight;
    var top = fitsBelow || above < EDGE ? below : above;
    card.style.left = Math.round(left + window.scrollX) + "px";
    card.style.top = Math.round(top + window.scrollY) + "px";
  }

  function open(link, how) {
    clearTimeout(showTimer);
    clearTimeout(hideTimer);
    var entry = entryFor(link);
    if (!entry) return;
    if (current && current !== link) close();
    fill(entry, how === "touch" ? link.href : "");
    // The card speaks the site's language (its entity's words), also in a foreign article.
    card.lang = document.documentElement.lang;
    card.hidden = false;
    place(link);
    if (current !== link) {
      if (link.hasAttribute("title")) {
        link.setAttribute("data-title", link.getAttribute("title"));
        link.removeAttribute("title");
      }
      link.setAttribute("aria-describedby", card.id);
    }
    current = link;
    openedBy = how;
  }

  function close() {
    clearTimeout(showTimer);
    clearTimeout(hideTimer);
    if (!current) return;
    if (current.hasAttribute("data-title")) {
      current.setAttribute("title", current.getAttribute("data-title"));
      current.removeAttribute("data-title");
    }
    current.removeAttribute("aria-describedby");
    card.hidden = true;
    current = null;
    openedBy = "";
  }

  function closeSoon() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(close, HIDE_DELAY);
  }

  function isTap(link, event) {
    return tap.link === link && event.timeStamp - tap.time < TAP_WINDOW;
  }

  function watch(link) {
    link.addEventListener("pointerenter", function (event) {
      if (event.pointerType !== "mouse") return;
      clearTimeout(hideTimer);
      if (current === link) return;
      clearTimeout(showTimer);
      showTimer = setTimeout(function () { open(link, "hover"); }, current ? 0 : SHOW_DELAY);
    });
    link.addEventListener("pointerleave", function (event) {
      if (event.pointerType !== "mouse") return;
      clearTimeout(showTimer);
      if (current === link && openedBy === "hover") closeSoon();
    });
    link.addEventListener("pointerdown", function (event) {
      if (event.pointerType === "touch") {
        tap = { link: link, time: event.timeStamp, wasOpen: current === link && openedBy === "touch" };
      }
    });
    link.addEventListener("focus", function (event) {
      if (isTap(link, event) || link.matches(":hover")) return;
      open(link, "focus");
    });
    link.addEventListener("blur", function (event) {
      if (current !== link) return;
      if (event.relatedTarget && card.contains(event.relatedTarget)) return;
      if (openedBy === "hover" && link.matches(":hover")) return;
      close();
    });
    link.addEventListener("click", function (event) {
      if (!isTap(link, event)) return;
      var follow = tap.wasOpen;
      tap = { link: null, time: 0, wasOpen: false };
      if (follow) return;
      event.preventDefault();
      open(link, "touch");
    });
  }

  var mentions = document.querySelectorAll("a.mention[data-entity]");
  for (var i = 0; i < mentions.length; i += 1) {
    if (entryFor(mentions[i])) watch(mentions[i]);
  }

  card.addEventListener("pointerenter", function () { clearTimeout(hideTimer); });
  card.addEventListener("pointerleave", function (event) {
    if (event.pointerType === "mouse" && openedBy === "hover") closeSoon();
  });
  document.addEventListener("keydown", function (event) {
    if ((event.key === "Escape" || event.key === "Esc") && current) close();
  });
  document.addEventListener("pointerdown", function (event) {
    if (!current || card.contains(event.target) || current.contains(event.target)) return;
    close();
  });
  window.addEventListener("resize", function () {
    if (current) place(current);
  });
})();
