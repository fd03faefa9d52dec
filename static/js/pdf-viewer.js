/* Maillage: the in-page PDF reader. Every [data-pdf-url] element of the page becomes a reader
 * drawn by pdf.js (vendored in static/vendor/pdfjs, loaded only when a reader is present).
 *
 * Pages are drawn on canvases only when they come near the visible area, and released when they
 * leave it, so that a 300-page report costs no more than its visible pages. Addresses and texts
 * come through data- attributes (the Content-Security-Policy allows no inline script), and the
 * code avoids syntax newer than the browsers pdf.js's legacy build supports.
 */

const ZOOM_STEP = 1.25;
const MIN_SCALE = 0.25;
const MAX_SCALE = 5;
const CSS_UNITS = 96 / 72; // a scale of 1 shows the page at its printed size
const MAX_CANVAS_PIXELS = 4096 * 4096; // beyond this, older phones draw blank canvases
const RENDER_CONCURRENCY = 2;
const RESIZE_DELAY_MS = 150;

let pdfjsLoading = null;

function loadPdfjs(src, workerSrc) {
  if (!pdfjsLoading) {
    pdfjsLoading = import(src).then(function (lib) {
      lib.GlobalWorkerOptions.workerSrc = workerSrc;
      return lib;
    });
  }
  return pdfjsLoading;
}

function absolute(url) {
  return new URL(url, document.baseURI).href;
}

function fill(template, values) {
  return (template || "").replace(/\{(\w+)\}/g, function (match, key) {
    return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
  });
}

function announce(text) {
  const region = document.getElementById("live-region");
  if (!region) return;
  region.textContent = "";
  window.setTimeout(function () { region.textContent = text; }, 50);
}

function prefersReducedMotion() {
  return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

class PdfViewer {
  constructor(root) {
    this.root = root;
    this.data = root.dataset;
    this.box = root.querySelector("[data-pdf-pages]");
    this.status = root.querySelector("[data-pdf-status]");
    this.statusText = root.querySelector("[data-pdf-status-text]");
    this.indicator = root.querySelector("[data-pdf-indicator]");
    this.indicatorText = root.querySelector("[data-pdf-indicator-text]");
    this.zoomOutput = root.querySelector("[data-pdf-zoom]");
    this.buttons = {};
    root.querySelectorAll("[data-pdf-action]").forEach((button) => {
      this.buttons[button.getAttribute("data-pdf-action")] = button;
    });
    this.lang = document.documentElement.lang || "fr";
    this.pdf = null;
    this.pages = [];
    this.baseSize = null; // the first page at scale 1, the size every page has until drawn
    this.scale = 1;
    this.fit = true;
    this.current = 1;
    this.queue = [];
    this.rendering = 0;
    this.lastWidth = 0;
  }

  async start() {
    this.setStatus(this.data.msgLoading, true);
    try {
      const lib = await loadPdfjs(absolute(this.data.pdfjsSrc), absolute(this.data.pdfjsWorker));
      const task = lib.getDocument({
        url: absolute(this.data.pdfUrl),
        isEvalSupported: false,
        enableXfa: false,
        standardFontDataUrl: absolute(this.data.pdfjsFonts),
        cMapUrl: absolute(this.data.pdfjsCmaps),
        cMapPacked: true,
      });
      this.pdf = await task.promise;
      const first = await this.pdf.getPage(1);
      const viewport = first.getViewport({ scale: CSS_UNITS });
      this.baseSize = { width: viewport.width, height: viewport.height };
      this.build(first);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.ready();
  }

  build(firstPage) {
    const fragment = document.createDocumentFragment();
    for (let number = 1; number <= this.pdf.numPages; number += 1) {
      const element = document.createElement("div");
      element.className = "pdf-page";
      element.setAttribute("role", "img");
      element.setAttribute("aria-label", fill(this.data.msgPageLabel, { page: number }));
      element.setAttribute("data-page-number", String(number));
      fragment.appendChild(element);
      this.pages.push({
        number: number,
        element: element,
        proxy: number === 1 ? firstPage : null,
        size: { width: this.baseSize.width, height: this.baseSize.height },
        canvas: null,
        renderedScale: 0,
        task: null,
        near: false,
        queued: false,
        busy: false,
        again: false,
        drawingScale: 0,
      });
    }
    this.box.appendChild(fragment);
    this.scale = this.fitScale();
    this.applySizes();
  }

  ready() {
    const count = this.pdf.numPages;
    const rule = typeof Intl !== "undefined" && Intl.PluralRules ? new Intl.PluralRules(this.lang).select(count) : (count > 1 ? "other" : "one");
    const pages = fill(rule === "one" ? this.data.msgPagesOne : this.data.msgPagesOther, { num: count });
    this.root.classList.add("is-ready");
    this.setStatus(fill(this.data.msgLoaded, { pages: pages }), false);
    this.status.classList.add("visually-hidden");
    Object.keys(this.buttons).forEach((name) => { this.buttons[name].disabled = false; });
    this.updateIndicator();
    this.updateZoom();
    this.bind();
  }

  bind() {
    this.buttons.previous.addEventListener("click", () => this.goTo(this.current - 1));
    this.buttons.next.addEventListener("click", () => this.goTo(this.current + 1));
    this.buttons["zoom-in"].addEventListener("click", () => this.zoomTo(this.scale * ZOOM_STEP));
    this.buttons["zoom-out"].addEventListener("click", () => this.zoomTo(this.scale / ZOOM_STEP));
    this.buttons.fit.addEventListener("click", () => {
      this.fit = true;
      this.zoomTo(this.fitScale(), true);
    });

    this.box.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "+" || event.key === "=") {
        this.zoomTo(this.scale * ZOOM_STEP);
        event.preventDefault();
      } else if (event.key === "-") {
        this.zoomTo(this.scale / ZOOM_STEP);
        event.preventDefault();
      }
    });

    let ticking = false;
    this.box.addEventListener("scroll", () => {
      if (ticking) return;
      ticking = true;
      window.requestAnimationFrame(() => {
        ticking = false;
        this.updateCurrent();
      });
    }, { passive: true });

    if ("IntersectionObserver" in window) {
      // Pages within one screen above or below the visible area are drawn ahead of time.
      this.observer = new IntersectionObserver((entries) => {
        entries.forEach((entry) => {
          const page = this.pages[Number(entry.target.getAttribute("data-page-number")) - 1];
          page.near = entry.isIntersecting;
          if (page.near) this.request(page);
          else this.release(page);
        });
      }, { root: this.box, rootMargin: "100% 0px" });
      this.pages.forEach((page) => this.observer.observe(page.element));
    } else {
      this.pages.forEach((page) => { page.near = true; this.request(page); });
    }

    this.lastWidth = this.box.clientWidth;
    let timer = 0;
    const onResize = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        const width = this.box.clientWidth;
        if (width === this.lastWidth) return;
        this.lastWidth = width;
        if (this.fit) this.zoomTo(this.fitScale(), true);
      }, RESIZE_DELAY_MS);
    };
    if ("ResizeObserver" in window) new ResizeObserver(onResize).observe(this.box);
    else window.addEventListener("resize", onResize);
  }

  fitScale() {
    const style = window.getComputedStyle(this.box);
    const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const available = Math.max(this.box.clientWidth - padding, 120);
    return Math.min(Math.max(available / this.baseSize.width, MIN_SCALE), MAX_SCALE);
  }

  applySizes() {
    this.pages.forEach((page) => {
      page.element.style.width = Math.floor(page.size.width * this.scale) + "px";
      page.element.style.height = Math.floor(page.size.height * this.scale) + "px";
    });
  }

  zoomTo(scale, keepFit) {
    scale = Math.min(Math.max(scale, MIN_SCALE), MAX_SCALE);
    if (!keepFit) this.fit = false;
    if (Math.abs(scale - this.scale) < 0.001) {
      this.updateZoom();
      return;
    }
    // Keep the same spot of the same page under the reader's eyes.
    const page = this.pages[this.current - 1];
    const within = page.element.offsetHeight ? (this.box.scrollTop - page.element.offsetTop) / page.element.offsetHeight : 0;
    const across = this.box.scrollWidth > this.box.clientWidth
      ? (this.box.scrollLeft + this.box.clientWidth / 2) / this.box.scrollWidth : 0.5;
    this.scale = scale;
    this.applySizes();
    this.box.scrollTop = page.element.offsetTop + within * page.element.offsetHeight;
    this.box.scrollLeft = Math.max(across * this.box.scrollWidth - this.box.clientWidth / 2, 0);
    this.pages.forEach((other) => { if (other.near) this.request(other); });
    this.updateZoom();
    announce(this.zoomOutput.textContent);
  }

  goTo(number) {
    if (number < 1 || number > this.pages.length) return;
    const page = this.pages[number - 1];
    const top = page.element.offsetTop - parseFloat(window.getComputedStyle(this.box).paddingTop);
    this.current = number;
    this.updateIndicator();
    announce(this.indicatorText.textContent);
    if (this.box.scrollTo) this.box.scrollTo({ top: top, behavior: prefersReducedMotion() ? "auto" : "smooth" });
    else this.box.scrollTop = top;
  }

  updateCurrent() {
    // The page that crosses the upper third of the visible area is the one being read.
    const line = this.box.scrollTop + this.box.clientHeight / 3;
    let low = 0;
    let high = this.pages.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (this.pages[middle].element.offsetTop <= line) low = middle;
      else high = middle - 1;
    }
    if (this.current !== low + 1) {
      this.current = low + 1;
      this.updateIndicator();
    }
  }

  updateIndicator() {
    const total = this.pages.length;
    this.indicator.textContent = this.current + " / " + total;
    this.indicatorText.textContent = fill(this.data.msgPage, { page: this.current, total: total });
    this.buttons.previous.disabled = this.current <= 1;
    this.buttons.next.disabled = this.current >= total;
  }

  updateZoom() {
    const percent = typeof Intl !== "undefined"
      ? new Intl.NumberFormat(this.lang, { style: "percent", maximumFractionDigits: 0 }).format(this.scale)
      : Math.round(this.scale * 100) + " %";
    this.zoomOutput.textContent = percent;
    this.buttons["zoom-in"].disabled = this.scale >= MAX_SCALE - 0.001;
    this.buttons["zoom-out"].disabled = this.scale <= MIN_SCALE + 0.001;
    this.buttons.fit.setAttribute("aria-pressed", this.fit ? "true" : "false");
  }

  request(page) {
    if (page.queued) return;
    if (page.busy) {
      // Drawn again once the current drawing ends; a drawing at a stale zoom is abandoned.
      page.again = true;
      if (page.task && page.drawingScale !== this.scale) page.task.cancel();
      return;
    }
    if (page.canvas && page.renderedScale === this.scale) return;
    page.queued = true;
    this.queue.push(page);
    this.pump();
  }

  pump() {
    while (this.rendering < RENDER_CONCURRENCY && this.queue.length) {
      const page = this.queue.shift();
      page.queued = false;
      if (!page.near) continue;
      this.rendering += 1;
      page.busy = true;
      this.draw(page).catch((error) => {
        page.element.classList.add("is-failed");
        if (window.console) window.console.error("pdf-viewer: page " + page.number, error);
      }).then(() => {
        this.rendering -= 1;
        page.busy = false;
        if (page.again) {
          page.again = false;
          if (page.near) this.request(page);
        }
        this.pump();
      });
    }
  }

  async draw(page) {
    if (!page.proxy) {
      page.proxy = await this.pdf.getPage(page.number);
      const natural = page.proxy.getViewport({ scale: CSS_UNITS });
      if (Math.abs(natural.width - page.size.width) > 0.5 || Math.abs(natural.height - page.size.height) > 0.5) {
        page.size = { width: natural.width, height: natural.height };
        page.element.style.width = Math.floor(natural.width * this.scale) + "px";
        page.element.style.height = Math.floor(natural.height * this.scale) + "px";
      }
    }
    if (!page.near) return;
    const scale = this.scale;
    if (page.canvas && page.renderedScale === scale) return;
    page.drawingScale = scale;

    const viewport = page.proxy.getViewport({ scale: scale * CSS_UNITS });
    let ratio = window.devicePixelRatio || 1;
    if (viewport.width * viewport.height * ratio * ratio > MAX_CANVAS_PIXELS) {
      ratio = Math.sqrt(MAX_CANVAS_PIXELS / (viewport.width * viewport.height));
    }
    const canvas = document.createElement("canvas");
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.setAttribute("aria-hidden", "true");
    const task = page.proxy.render({
      canvasContext: canvas.getContext("2d", { alpha: false }),
      viewport: viewport,
      transform: ratio === 1 ? null : [ratio, 0, 0, ratio, 0, 0],
    });
    page.task = task;
    try {
      await task.promise;
    } catch (error) {
      if (error && error.name === "RenderingCancelledException") return;
      throw error;
    } finally {
      if (page.task === task) page.task = null;
    }
    if (!page.near) return;
    // The new drawing replaces the old one only once complete: zooming never flashes blank.
    if (page.canvas) page.canvas.replaceWith(canvas);
    else page.element.appendChild(canvas);
    page.canvas = canvas;
    page.renderedScale = scale;
    page.element.classList.add("is-rendered");
    if (this.scale !== scale) this.request(page);
  }

  release(page) {
    if (page.task) {
      page.task.cancel();
      page.task = null;
    }
    if (page.canvas) {
      // Zero-sized first, so that Safari frees the bitmap at once.
      page.canvas.width = 0;
      page.canvas.height = 0;
      page.canvas.remove();
      page.canvas = null;
      page.renderedScale = 0;
      page.element.classList.remove("is-rendered");
    }
    if (page.proxy && page.number !== 1) page.proxy.cleanup();
  }

  setStatus(text, busy) {
    this.statusText.textContent = text || "";
    const spinner = this.status.querySelector(".spinner");
    if (spinner && !busy) spinner.remove();
  }

  fail(error) {
    const name = error && error.name;
    const password = name === "PasswordException";
    // A damaged or missing file is the reader's news, not the console's; anything else is a bug.
    const expected = ["PasswordException", "InvalidPDFException", "MissingPDFException", "UnexpectedResponseException"];
    if (expected.indexOf(name) < 0 && window.console) window.console.error("pdf-viewer:", error);
    this.root.classList.add("is-failed");
    this.status.classList.remove("visually-hidden");
    this.status.setAttribute("role", "alert");
    this.setStatus((password ? this.data.msgPassword : this.data.msgError) + " ", false);
    const link = document.createElement("a");
    link.href = this.data.pdfDownload;
    link.textContent = this.data.msgDownload;
    this.statusText.appendChild(link);
  }
}

function startAll() {
  document.querySelectorAll("[data-pdf-url]").forEach(function (root) {
    if (root.hasAttribute("data-pdf-started")) return;
    root.setAttribute("data-pdf-started", "");
    new PdfViewer(root).start();
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startAll);
else startAll();
