// The pipeline board: drag a card onto another column and the server says what that takes
// (GET /…/<id>/move/<stage>/): the step's form, loaded by htmx into a <dialog> over the board,
// or a refusal, which the server sends to #board-message instead. This file only moves the card
// while the dialog is open, opens and closes the dialog and puts the card back on a refusal or
// Cancel; every decision is the server's. "Move to…" on a card does the same without dragging.
// A file, not an inline script, so the pages stay ready for a Content Security Policy.
(function () {
  "use strict";

  var dragged = null; // the card being dragged
  var moved = null; // {card, parent, next}: a card shown in a column it has not moved to yet

  function dialog() {
    return document.getElementById("move-dialog");
  }

  function columnOf(element) {
    return element && element.closest ? element.closest(".board-column") : null;
  }

  function putBack() {
    if (!moved) {
      return;
    }
    moved.card.classList.remove("board-card-moving");
    moved.parent.insertBefore(moved.card, moved.next);
    moved = null;
  }

  function clearHighlights() {
    document.querySelectorAll(".board-column").forEach(function (column) {
      column.classList.remove("board-drop-allowed", "board-drop-over");
    });
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest(".board-card") : null;
    if (!card) {
      return;
    }
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.id);
    card.classList.add("board-card-dragging");
    // Show where it may go (the server decides again on the drop).
    var allowed = (card.getAttribute("data-next-stages") || "").split(" ");
    document.querySelectorAll(".board-column").forEach(function (column) {
      if (allowed.indexOf(column.getAttribute("data-stage")) !== -1) {
        column.classList.add("board-drop-allowed");
      }
    });
  });

  document.addEventListener("dragend", function () {
    if (dragged) {
      dragged.classList.remove("board-card-dragging");
    }
    dragged = null;
    clearHighlights();
  });

  document.addEventListener("dragover", function (event) {
    var column = columnOf(event.target);
    if (!dragged || !column) {
      return;
    }
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = "move";
    column.classList.add("board-drop-over");
  });

  document.addEventListener("dragleave", function (event) {
    var column = columnOf(event.target);
    if (column && !column.contains(event.relatedTarget)) {
      column.classList.remove("board-drop-over");
    }
  });

  document.addEventListener("drop", function (event) {
    var column = columnOf(event.target);
    var card = dragged;
    if (!card || !column) {
      return;
    }
    event.preventDefault();
    clearHighlights();
    var stage = column.getAttribute("data-stage");
    if (stage === card.getAttribute("data-stage")) {
      return;
    }
    putBack();
    moved = { card: card, parent: card.parentNode, next: card.nextSibling };
    card.classList.add("board-card-moving");
    column.querySelector(".board-cards").appendChild(card);
    var url = card.getAttribute("data-move-url").replace("__stage__", encodeURIComponent(stage));
    htmx.ajax("GET", url, { target: "#move-panel", swap: "innerHTML", source: card });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target) {
      return;
    }
    var box = dialog();
    if (target.id === "move-panel" && box) {
      if (!box.open) {
        box.showModal();
      }
      var first = target.querySelector("[autofocus]") || target.querySelector("input, select, textarea, button, a[href]");
      if (first) {
        first.focus();
      }
    } else if (target.id === "board-message") {
      // Refused: the card goes back and the dialog (if a form was open) closes.
      putBack();
      if (box && box.open) {
        box.close();
      }
      target.scrollIntoView({ block: "nearest" });
    }
  });

  document.addEventListener("htmx:responseError", function () {
    putBack();
  });

  document.addEventListener("click", function (event) {
    var cancel = event.target.closest ? event.target.closest("[data-board-cancel]") : null;
    var box = dialog();
    if (cancel && box) {
      box.close();
    }
  });

  document.addEventListener(
    "close",
    function (event) {
      // Cancel, Escape: nothing moved, so the card goes back and the form is forgotten.
      if (event.target === dialog()) {
        putBack();
        document.getElementById("move-panel").innerHTML = "";
      }
    },
    true
  );
})();
