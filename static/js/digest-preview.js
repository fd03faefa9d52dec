// The digest preview's frame takes the height of the email it shows (same origin), so that the page
// scrolls once rather than a frame inside it.
for (const frame of document.querySelectorAll("iframe[data-fit-content]")) {
  const fit = () => {
    const doc = frame.contentDocument;
    if (doc && doc.documentElement) {
      frame.style.height = `${doc.documentElement.scrollHeight + 2}px`;
    }
  };
  frame.addEventListener("load", fit);
  window.addEventListener("resize", fit);
  if (frame.contentDocument && frame.contentDocument.readyState === "complete") fit();
}
