/* Maillage: the writing editor of posts, comments and wiki pages (templates/feeds/editor.html).
   Without this script the textarea works alone. With it: a formatting toolbar, an « Aperçu » tab
   rendered by the server, "@" suggestions, a warning for each person named who will not be told,
   and files dropped, pasted or chosen, stored as documents of the space and linked in the text.
   Every rule (who may be named, who may read, what a text looks like) is the server's. */
import "../vendor/markdown-toolbar-element/index.js";
import "../vendor/text-expander-element/bundle.js";

const WARN_DELAY_MS = 500;
const QUERY_MAX = 64;
let uid = 0;

function csrfToken(form) {
  const input = form && form.querySelector("input[name=csrf_token]");
  return input ? input.value : "";
}

/* The message of a refusal in the app's JSON error shape (a field's message first). */
function refusal(payload, fallback) {
  const error = payload && payload.error;
  if (!error) return fallback;
  const fields = error.fields ? Object.values(error.fields) : [];
  return fields.length ? fields.join(" ") : error.message || fallback;
}

async function readJson(response) {
  try {
    return await response.json();
  } catch (_error) {
    return null;
  }
}

function setup(editor) {
  const textarea = editor.querySelector("textarea");
  if (!textarea || editor.dataset.editorReady) return;
  editor.dataset.editorReady = "true";
  const form = textarea.form;
  const data = editor.dataset;
  const chrome = editor.querySelector("[data-editor-chrome]");
  const toolbar = editor.querySelector("markdown-toolbar");
  const writePanel = editor.querySelector("[data-editor-write]");
  const previewPanel = editor.querySelector("[data-editor-preview]");
  const warnings = editor.querySelector("[data-editor-warnings]");
  const warningTemplate = editor.querySelector("template[data-editor-warning]");
  const status = editor.querySelector("[data-editor-status]");
  const tabs = Array.from(editor.querySelectorAll("[data-editor-tab]"));
  chrome.hidden = false;

  function post(url, fields) {
    const body = new FormData();
    body.append("csrf_token", csrfToken(form));
    Object.entries(fields).forEach(([name, value]) => body.append(name, value));
    return fetch(url, { method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json, text/html" } });
  }

  /* --- « Écrire » and « Aperçu » tabs ------------------------------------------------------ */
  writePanel.setAttribute("role", "tabpanel");
  writePanel.setAttribute("aria-labelledby", tabs[0].id);
  previewPanel.setAttribute("role", "tabpanel");
  previewPanel.setAttribute("aria-labelledby", tabs[1].id);
  previewPanel.tabIndex = 0;

  async function loadPreview() {
    previewPanel.setAttribute("aria-busy", "true");
    previewPanel.replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: data.loading }));
    try {
      const response = await post(data.previewUrl, { body: textarea.value });
      if (response.ok) {
        // Rendered and sanitised by the server, as the published text will be.
        previewPanel.innerHTML = await response.text();
      } else {
        const message = refusal(await readJson(response), data.failed);
        previewPanel.replaceChildren(Object.assign(document.createElement("p"), { className: "field-error", textContent: message }));
      }
    } catch (_error) {
      previewPanel.replaceChildren(Object.assign(document.createElement("p"), { className: "field-error", textContent: data.failed }));
    } finally {
      previewPanel.removeAttribute("aria-busy");
    }
  }

  function selectTab(name, focus) {
    tabs.forEach((tab) => {
      const selected = tab.dataset.editorTab === name;
      tab.setAttribute("aria-selected", selected ? "true" : "false");
      tab.tabIndex = selected ? 0 : -1;
      if (selected && focus) tab.focus();
    });
    writePanel.hidden = name !== "write";
    toolbar.hidden = name !== "write";
    previewPanel.hidden = name !== "preview";
    if (name === "preview") loadPreview();
  }

  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => selectTab(tab.dataset.editorTab, false));
    tab.addEventListener("keydown", (event) => {
      const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
      if (!(event.key in moves)) return;
      event.preventDefault();
      const next = tabs[(moves[event.key] + tabs.length) % tabs.length];
      selectTab(next.dataset.editorTab, true);
    });
  });

  /* --- Warnings: people named who cannot read where one writes ---------------------------- */
  let warnTimer = 0;
  let warnRequest = 0;

  function showWarnings(messages) {
    warnings.replaceChildren(...messages.map((message) => {
      const alert = warningTemplate.content.firstElementChild.cloneNode(true);
      alert.querySelector("p").textContent = message;
      return alert;
    }));
  }

  async function checkMentions() {
    const text = textarea.value;
    const request = ++warnRequest;
    if (!text.includes("@")) {
      showWarnings([]);
      return;
    }
    try {
      const response = await post(data.mentionsUrl, { body: text });
      const payload = await readJson(response);
      if (request !== warnRequest) return;  // a newer text was sent meanwhile
      if (response.ok && payload) showWarnings(payload.warnings || []);
    } catch (_error) {
      /* The server says it again on saving. */
    }
  }

  function scheduleCheck() {
    window.clearTimeout(warnTimer);
    warnTimer = window.setTimeout(checkMentions, WARN_DELAY_MS);
  }

  textarea.addEventListener("input", scheduleCheck);
  if (textarea.value.includes("@")) checkMentions();

  /* --- "@" suggestions ----------------------------------------------------------------------- */
  const expander = editor.querySelector("text-expander");

  function option(person) {
    const item = document.createElement("li");
    item.id = `mention-${++uid}`;
    item.className = person.may_read ? "mention-option" : "mention-option is-blind";
    item.setAttribute("role", "option");
    item.dataset.handle = person.handle;
    const name = Object.assign(document.createElement("span"), { className: "mention-name", textContent: person.name });
    const handle = Object.assign(document.createElement("span"), { className: "mention-handle", textContent: `@${person.handle}` });
    item.append(name, handle);
    if (person.job) item.append(Object.assign(document.createElement("span"), { className: "mention-job", textContent: person.job }));
    if (!person.may_read) item.append(Object.assign(document.createElement("span"), { className: "mention-note", textContent: person.note || data.noAccess }));
    return item;
  }

  async function suggestions(query) {
    const url = new URL(data.peopleUrl, window.location.href);
    url.searchParams.set("q", query);
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const payload = await readJson(response);
    const people = response.ok && payload ? payload.people : [];
    if (!people.length) return { matched: false };
    const menu = document.createElement("ul");
    menu.className = "mention-menu";
    menu.setAttribute("role", "listbox");
    menu.setAttribute("aria-label", data.listLabel);
    menu.append(...people.map(option));
    return { matched: true, fragment: menu };
  }

  expander.addEventListener("text-expander-change", (event) => {
    const { key, text, provide } = event.detail;
    if (key !== "@" || text.length > QUERY_MAX) return;
    provide(suggestions(text).catch(() => ({ matched: false })));
  });
  expander.addEventListener("text-expander-activate", () => {
    // The list opens under the caret; near the right edge of a phone it is pulled back into view.
    window.requestAnimationFrame(() => {
      const menu = expander.querySelector(".mention-menu");
      if (!menu) return;
      const overflow = menu.getBoundingClientRect().right - document.documentElement.clientWidth + 8;
      if (overflow > 0) menu.style.left = `calc(${menu.style.left || "0px"} - ${Math.ceil(overflow)}px)`;
    });
  });
  expander.addEventListener("text-expander-value", (event) => {
    const { item } = event.detail;
    event.detail.value = `@${item.dataset.handle}`;
    window.setTimeout(checkMentions, 0);  // the text changed without an input event
  });

  /* --- Files: dropped, pasted or chosen ------------------------------------------------------ */
  if (!data.uploadUrl) return;
  const files = editor.querySelector("[data-editor-files]");
  const picker = editor.querySelector("[data-editor-file]");
  const maxBytes = Number(data.maxBytes);
  let queue = Promise.resolve();
  files.hidden = false;

  function say(message, kind) {
    status.textContent = message;
    status.classList.toggle("is-error", kind === "error");
    status.classList.toggle("is-done", kind === "done");
  }

  function insertAtCaret(text) {
    const start = textarea.selectionStart;
    const end = textarea.selectionEnd;
    const before = textarea.value.slice(0, start);
    const spaced = (before && !/\s$/.test(before) ? " " : "") + text + " ";
    textarea.setRangeText(spaced, start, end, "end");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function attach(document_) {
    const select = data.attachments && document.getElementById(data.attachments);
    if (!select) return;
    let found = Array.from(select.options).find((o) => o.value === String(document_.id));
    if (!found) {
      found = new Option(document_.title, String(document_.id), true, true);
      select.append(found);
    }
    found.selected = true;
    select.size = Math.min(Math.max(select.options.length, 2), 6);
    const field = select.closest("[data-attachments-field]");
    if (field) field.hidden = false;
  }

  function send(file) {
    const label = data.uploading.replace("{name}", file.name);
    if (file.size > maxBytes) {
      say(`${file.name} : ${data.tooLarge}`, "error");
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const request = new XMLHttpRequest();
      const body = new FormData();
      body.append("csrf_token", csrfToken(form));
      body.append("file", file, file.name);
      request.open("POST", data.uploadUrl);
      request.setRequestHeader("Accept", "application/json");
      request.responseType = "json";
      request.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) say(`${label} ${Math.round((event.loaded / event.total) * 100)} %`);
      });
      request.addEventListener("load", () => {
        const payload = request.response;
        if (request.status === 201 && payload) {
          insertAtCaret(payload.markdown);
          attach(payload.document);
          say(payload.message, "done");
        } else {
          say(`${file.name} : ${refusal(payload, data.failed)}`, "error");
        }
        resolve();
      });
      request.addEventListener("error", () => {
        say(`${file.name} : ${data.failed}`, "error");
        resolve();
      });
      say(label);
      request.send(body);
    });
  }

  function sendAll(list) {
    Array.from(list).forEach((file) => {
      queue = queue.then(() => send(file));
    });
  }

  function carriesFiles(transfer) {
    return transfer && Array.from(transfer.types || []).includes("Files");
  }

  textarea.addEventListener("dragover", (event) => {
    if (!carriesFiles(event.dataTransfer)) return;
    event.preventDefault();
    editor.classList.add("is-dropping");
  });
  textarea.addEventListener("dragleave", () => editor.classList.remove("is-dropping"));
  textarea.addEventListener("drop", (event) => {
    editor.classList.remove("is-dropping");
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    textarea.focus();
    sendAll(event.dataTransfer.files);
  });
  textarea.addEventListener("paste", (event) => {
    const pasted = event.clipboardData && event.clipboardData.files;
    if (!pasted || !pasted.length) return;
    event.preventDefault();
    sendAll(pasted);
  });
  picker.addEventListener("change", () => {
    sendAll(picker.files);
    picker.value = "";
  });
}

document.querySelectorAll("[data-editor]").forEach(setup);
