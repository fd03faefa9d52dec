/* Maillage: the few behaviours the pages need beyond HTML (every page works without them). */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.add("js");

  function announce(text) {
    var region = document.getElementById("live-region");
    if (!region) return;
    region.textContent = "";
    // A fresh text node after a tick, so that screen readers announce a repeated message too.
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  /* Mobile menu: the button shows and hides the navigation panel. */
  function setupMenu() {
    var toggle = document.querySelector("[data-menu-toggle]");
    if (!toggle) return;
    var menu = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!menu) return;

    function setOpen(open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("is-open", open);
    }

    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });
  }

  /* Dropdown menus (<details data-dropdown>): one open at a time, closed by Escape or a click elsewhere. */
  function setupDropdowns() {
    var dropdowns = Array.prototype.slice.call(document.querySelectorAll("details[data-dropdown]"));
    if (!dropdowns.length) return;

    dropdowns.forEach(function (details) {
      details.addEventListener("toggle", function () {
        if (!details.open) return;
        dropdowns.forEach(function (other) {
          if (other !== details && other.open && !other.contains(details)) other.open = false;
        });
      });
    });

    document.addEventListener("click", function (event) {
      dropdowns.forEach(function (details) {
        if (details.open && !details.contains(event.target)) details.open = false;
      });
    });

    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      dropdowns.forEach(function (details) {
        if (details.open) {
          details.open = false;
          var summary = details.querySelector("summary");
          if (summary && details.contains(document.activeElement)) summary.focus();
        }
      });
    });
  }

  /* <form data-confirm="…"> (or a submit button carrying data-confirm) asks before sending. */
  function setupConfirm() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      var submitter = event.submitter;
      var message = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
      if (message && !window.confirm(message)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    }, true);
  }

  /* <button data-copy="#id">: copies the value (or text) of the target to the clipboard. */
  function setupCopy() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-copy]");
      if (!button) return;
      var target = document.querySelector(button.getAttribute("data-copy"));
      if (!target) return;
      var text = "value" in target ? target.value : target.textContent;
      var label = button.querySelector("[data-copy-label]");
      var original = label ? label.textContent : "";
      var done = button.getAttribute("data-copied") || "Copié";

      function confirmCopy() {
        if (label) {
          label.textContent = done;
          window.setTimeout(function () { label.textContent = original; }, 2500);
        }
        announce(done);
      }

      function fallback() {
        if (target.select) {
          target.focus();
          target.select();
        }
        try {
          if (document.execCommand("copy")) confirmCopy();
        } catch (error) {
          /* The text stays selected: the user can copy it by hand. */
        }
      }

      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(confirmCopy, fallback);
      } else {
        fallback();
      }
    });
  }

  /* A flash message can be dismissed by hand (they never vanish on their own). */
  function setupDismiss() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-dismiss]");
      if (!button) return;
      var alert = button.closest(".alert");
      if (!alert) return;
      var container = alert.parentElement;
      alert.remove();
      if (container && container.classList.contains("flashes") && !container.children.length) container.remove();
      var main = document.getElementById("contenu");
      if (main) main.focus();
    });
  }

  /* Preferences: the page takes the chosen colours and background at once, as a preview. */
  function setupPreview() {
    var body = document.body;
    document.addEventListener("change", function (event) {
      var input = event.target;
      if (!input.matches || !input.matches("[data-preview-theme], [data-preview-background]")) return;
      var prefix = input.hasAttribute("data-preview-theme") ? "theme-" : "bg-";
      Array.prototype.slice.call(body.classList).forEach(function (name) {
        if (name.indexOf(prefix) === 0) body.classList.remove(name);
      });
      body.classList.add(prefix + input.value);
    });
  }

  /* Live search (htmx): say how many results came back, for screen-reader users. */
  function setupLiveResults() {
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (!event.detail.target) return;  /* a history restore has no target */
      var count = event.detail.target.querySelector("[data-live-count]");
      if (count) announce(count.textContent.trim());
    });
  }

  /* A stream's filter tabs put their address in the history (hx-push-url). Going back reloads
     that address instead of re-inserting a stored copy of the page: the copy would carry the
     inline styles the browser puts on some inputs (autofill), which the CSP refuses. */
  function setupHistory() {
    if (!window.htmx) return;
    window.htmx.config.historyCacheSize = 0;
    window.htmx.config.refreshOnHistoryMiss = true;
  }

  /* Feeds: a fragment answered with an error (a stream cursor that was tampered with, a refused
     like) replaces its element when that element asks for it (data-swap-errors), so that the
     message shows where the action happened instead of nothing happening. */
  function setupSwapErrors() {
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      var detail = event.detail;
      if (!detail.xhr || detail.xhr.status < 400 || detail.xhr.status >= 500) return;
      var source = detail.requestConfig && detail.requestConfig.elt;
      if (source && source.closest && source.closest("[data-swap-errors]")) {
        detail.shouldSwap = true;
        detail.isError = false;
      }
    });
  }

  /* Feeds: after "Voir plus", the first new item takes the focus (the button it replaces is gone). */
  function setupStreamFocus() {
    document.body.addEventListener("htmx:afterSettle", function () {
      var first = document.querySelector("[data-stream-focus]");
      if (!first) return;
      first.removeAttribute("data-stream-focus");
      first.focus();
    });
  }

  function start() {
    setupMenu();
    setupDropdowns();
    setupConfirm();
    setupCopy();
    setupDismiss();
    setupPreview();
    setupLiveResults();
    setupHistory();
    setupSwapErrors();
    setupStreamFocus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
