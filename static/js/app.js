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

  /* The header's search box is a combobox (WAI-ARIA 1.2, list autocomplete): htmx loads the
     suggestions into its popup from two characters on; the focus stays in the field while the arrow
     keys move an active option (aria-activedescendant), Enter opens it (it is a link) and Escape
     closes the list. With no active option, Enter submits the form to the search page, as it
     does without JavaScript. Events are delegated: the box may be swapped or added later. */
  function setupSearchBox() {
    var MIN_CHARS = 2;
    var FIELD = "input[data-combobox]";

    function popupOf(input) {
      var form = input.closest("[data-search-box]");
      return form ? form.querySelector("[data-combobox-popup]") : null;
    }

    function fieldOf(element) {
      var form = element && element.closest ? element.closest("[data-search-box]") : null;
      return form ? form.querySelector(FIELD) : null;
    }

    function options(popup) {
      return Array.prototype.slice.call(popup.querySelectorAll("[role=option]"));
    }

    function isOpen(input) {
      return input.getAttribute("aria-expanded") === "true";
    }

    function longEnough(input) {
      return input.value.trim().length >= MIN_CHARS;
    }

    function activeIndex(input, popup) {
      var id = input.getAttribute("aria-activedescendant");
      return id ? options(popup).findIndex(function (option) { return option.id === id; }) : -1;
    }

    function setActive(input, popup, index) {
      options(popup).forEach(function (option, i) {
        var active = i === index;
        option.classList.toggle("is-active", active);
        option.setAttribute("aria-selected", active ? "true" : "false");
        if (active) {
          input.setAttribute("aria-activedescendant", option.id);
          option.scrollIntoView({ block: "nearest" });
        }
      });
      if (index < 0) input.removeAttribute("aria-activedescendant");
    }

    function open(input, popup) {
      popup.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close(input, popup) {
      setActive(input, popup, -1);
      popup.hidden = true;
      input.setAttribute("aria-expanded", "false");
    }

    function hasContent(popup) {
      return options(popup).length > 0 || !!popup.querySelector(".suggest-note");
    }

    function move(input, popup, step) {
      var count = options(popup).length;
      if (!count) return;
      if (!isOpen(input)) {
        open(input, popup);
        setActive(input, popup, step > 0 ? 0 : count - 1);
        return;
      }
      var index = activeIndex(input, popup) + step;
      if (index >= count) index = 0;
      if (index < 0) index = step < 0 && activeIndex(input, popup) === 0 ? -1 : count - 1;
      setActive(input, popup, index);
    }

    /* Fewer than two characters: no request, and no list. */
    document.body.addEventListener("htmx:beforeRequest", function (event) {
      var input = event.detail.elt;
      if (!input.matches || !input.matches(FIELD) || longEnough(input)) return;
      event.preventDefault();
      var popup = popupOf(input);
      if (popup) close(input, popup);
    });

    /* An answer that comes back after the field was emptied is dropped. */
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      var input = event.detail.requestConfig && event.detail.requestConfig.elt;
      if (input && input.matches && input.matches(FIELD) && !longEnough(input)) event.detail.shouldSwap = false;
    });

    document.body.addEventListener("htmx:afterSwap", function (event) {
      var popup = event.detail.target;
      if (!popup || !popup.matches || !popup.matches("[data-combobox-popup]")) return;
      var input = fieldOf(popup);
      if (!input) return;
      setActive(input, popup, -1);
      if (document.activeElement === input && longEnough(input) && hasContent(popup)) {
        open(input, popup);
        var count = popup.querySelector("[data-suggest-count]");
        if (count) announce(count.textContent.trim());
      } else {
        close(input, popup);
      }
    });

    document.addEventListener("input", function (event) {
      var input = event.target;
      if (!input.matches || !input.matches(FIELD)) return;
      var popup = popupOf(input);
      if (!popup) return;
      if (longEnough(input)) {
        setActive(input, popup, -1);
      } else {
        close(input, popup);
      }
    });

    document.addEventListener("keydown", function (event) {
      var input = event.target;
      if (!input.matches || !input.matches(FIELD) || event.altKey || event.ctrlKey || event.metaKey) return;
      var popup = popupOf(input);
      if (!popup) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!longEnough(input)) return;
        event.preventDefault();
        move(input, popup, event.key === "ArrowDown" ? 1 : -1);
      } else if (event.key === "Enter") {
        var index = isOpen(input) ? activeIndex(input, popup) : -1;
        if (index >= 0) {
          event.preventDefault();
          var option = options(popup)[index];
          close(input, popup);
          option.click();
        } else {
          close(input, popup);
        }
      } else if (event.key === "Escape") {
        if (isOpen(input)) {
          event.preventDefault();
          event.stopPropagation();
          close(input, popup);
        } else if (input.value) {
          event.preventDefault();
          input.value = "";
        }
      } else if (event.key === "Tab") {
        close(input, popup);
      }
    });

    /* A click on an option must not take the focus from the field first (that would close the list). */
    document.addEventListener("mousedown", function (event) {
      if (event.target.closest && event.target.closest("[data-combobox-popup]")) event.preventDefault();
    });

    document.addEventListener("focusout", function (event) {
      var input = fieldOf(event.target);
      if (!input) return;
      window.setTimeout(function () {
        var form = input.closest("[data-search-box]");
        var popup = popupOf(input);
        if (popup && !form.contains(document.activeElement)) close(input, popup);
      }, 0);
    });

    /* Back from a page opened from the list: the page comes back as it was left, the list open. */
    window.addEventListener("pageshow", function () {
      Array.prototype.slice.call(document.querySelectorAll(FIELD)).forEach(function (input) {
        var popup = popupOf(input);
        if (popup) close(input, popup);
      });
    });
  }

  /* Search results: when "Voir plus" is answered with an error (an expired cursor, the engine
     down), follow its link instead, so that the page tells what happened. */
  function setupSearchMore() {
    document.body.addEventListener("htmx:responseError", function (event) {
      var link = event.detail.elt;
      if (link && link.matches && link.matches("a[data-search-more]")) window.location.assign(link.href);
    });
  }

  /* Search page, narrow screens: the filters fold behind their button (like the menu, only with
     JavaScript; without it, and on wide screens, they simply stay in view). */
  function setupSearchFilters() {
    document.addEventListener("click", function (event) {
      var toggle = event.target.closest && event.target.closest("[data-search-filters-toggle]");
      if (!toggle) return;
      var panel = document.getElementById(toggle.getAttribute("aria-controls"));
      if (!panel) return;
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      panel.classList.toggle("is-open", open);
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
    setupSearchBox();
    setupSearchMore();
    setupSearchFilters();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
