/* Annotate a selection on the board's version page. Selecting words inside one passage shows
   an "Annotate" control; it fills the page's annotate form (the same form a paragraph's
   "Comment" link leads to without JavaScript) with the W3C selectors: the exact words, up to 32
   characters before and after them in the passage, and their position in the version's plain
   text (the passage's data-start plus the offset). The server checks every value again. No
   inline script or style: the Content-Security-Policy allows scripts from this site only. */
(function () {
  "use strict";
  var root = document.querySelector("[data-annotatable]");
  var form = document.getElementById("annotate-form");
  var panel = document.getElementById("annotate-panel");
  if (!root || !form || !panel) {
    return;
  }
  var CONTEXT = 32;
  var control = document.createElement("button");
  control.type = "button";
  control.className = "button annotate-control";
  control.id = "annotate-control";
  control.textContent = "Annotate";
  control.hidden = true;
  document.body.appendChild(control);
  var chosen = null;

  function collapse(text) {
    return text.replace(/\s+/g, " ");
  }

  function passageOf(node) {
    var element = node && (node.nodeType === 1 ? node : node.parentElement);
    return element ? element.closest("[data-passage]") : null;
  }

  function measure() {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
      return null;
    }
    var range = selection.getRangeAt(0);
    var passage = passageOf(range.startContainer);
    if (!passage || passage !== passageOf(range.endContainer) || !root.contains(passage)) {
      return null;
    }
    var holder = passage.querySelector(".passage-text") || passage;
    if (!holder.contains(range.startContainer) || !holder.contains(range.endContainer)) {
      return null;
    }
    var exact = collapse(range.toString()).trim();
    if (!exact) {
      return null;
    }
    var text = collapse(holder.textContent).trim();
    var before = document.createRange();
    before.selectNodeContents(holder);
    before.setEnd(range.startContainer, range.startOffset);
    var guess = collapse(before.toString()).replace(/^\s+/, "").length;
    var at = text.indexOf(exact, Math.max(0, guess - 2));
    if (at === -1 || at > guess + 2) {
      at = text.indexOf(exact);
    }
    if (at === -1) {
      return null;
    }
    var start = parseInt(passage.getAttribute("data-start"), 10) + at;
    return {
      exact: exact,
      prefix: text.slice(Math.max(0, at - CONTEXT), at),
      suffix: text.slice(at + exact.length, at + exact.length + CONTEXT),
      start: String(start),
      end: String(start + exact.length),
      rect: range.getBoundingClientRect()
    };
  }

  function show() {
    chosen = measure();
    if (!chosen) {
      control.hidden = true;
      return;
    }
    control.style.top = window.scrollY + chosen.rect.bottom + 6 + "px";
    control.style.left = window.scrollX + chosen.rect.left + "px";
    control.hidden = false;
  }

  function fill(name, value) {
    var field = form.elements.namedItem(name);
    if (field) {
      field.value = value;
    }
  }

  control.addEventListener("mousedown", function (event) {
    event.preventDefault(); /* keep the selection */
  });
  control.addEventListener("click", function () {
    if (!chosen) {
      return;
    }
    ["exact", "prefix", "suffix", "start", "end"].forEach(function (name) {
      fill(name, chosen[name]);
    });
    control.hidden = true;
    panel.open = true;
    panel.scrollIntoView({block: "center"});
    var comment = form.elements.namedItem("comment");
    if (comment) {
      comment.focus();
    }
  });
  root.addEventListener("mouseup", function () {
    window.setTimeout(show, 0);
  });
  /* a selection made with the keyboard (shift and the arrows) too, once it settles */
  var settling = null;
  document.addEventListener("selectionchange", function () {
    window.clearTimeout(settling);
    settling = window.setTimeout(show, 250);
  });
})();
