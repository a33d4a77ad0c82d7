/* Side notes in the margin (wide screens): each starts level with its marker's line rather
   than below the end of its paragraph, unless the note before it is still in the way. The HTML keeps each note
   after its paragraph, where narrow screens, print and screen readers want it. */
(function () {
  "use strict";
  var body = document.querySelector(".story-body");
  if (!body) return;
  var notes = Array.prototype.filter.call(body.children, function (el) {
    return el.classList.contains("sidenote");
  });
  if (!notes.length) return;

  // Where a note belongs: its marker's line, or else the paragraph it follows.
  function anchorOf(note) {
    var marker = document.getElementById(note.id.replace("note-", "note-ref-"));
    if (marker) return marker;
    var el = note.previousElementSibling;
    while (el && el.classList.contains("sidenote")) el = el.previousElementSibling;
    return el;
  }

  function place() {
    notes.forEach(function (note) { note.style.marginTop = ""; });
    if (window.getComputedStyle(notes[0]).cssFloat !== "right") return;
    // Not above the text's column (the lead above it is wider), nor over the note before.
    var below = body.getBoundingClientRect().top;
    notes.forEach(function (note) {
      var anchor = anchorOf(note);
      var top = note.getBoundingClientRect().top;
      var wanted = anchor ? Math.max(anchor.getBoundingClientRect().top, below) : top;
      if (wanted < top) {
        var margin = parseFloat(window.getComputedStyle(note).marginTop) || 0;
        note.style.marginTop = (margin - (top - wanted)) + "px";
      }
      below = note.getBoundingClientRect().bottom + 16;
    });
  }

  var pending = 0;
  function later() {
    window.cancelAnimationFrame(pending);
    pending = window.requestAnimationFrame(place);
  }
  place();
  window.addEventListener("resize", later);
  window.addEventListener("load", later);
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(later);
})();
