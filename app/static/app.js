// Matchpoint's small script: behaviour that must not live inline (the CSP forbids it).
"use strict";

// Copy buttons: <button data-copy-target="#id"> copies that element's text.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copyTarget);
  if (!source) return;
  try {
    await navigator.clipboard.writeText(source.innerText.trim());
    button.dataset.copied = "true";
  } catch (error) {
    // Clipboard can be refused (insecure context); select the text so Ctrl+C works.
    const range = document.createRange();
    range.selectNodeContents(source);
    window.getSelection().removeAllRanges();
    window.getSelection().addRange(range);
  }
});

// Ctrl+Enter (or Cmd+Enter) in a turn box submits it: agents keep their hands on the keys.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
  const area = event.target.closest("form textarea");
  if (area) {
    event.preventDefault();
    area.form.requestSubmit();
  }
});

// After a turn is added, put the cursor back in the (new) text box.
document.body.addEventListener("utterance-added", () => {
  setTimeout(() => document.getElementById("turn-text")?.focus(), 0);
});

// A turn that was stored clears its box; one that was refused keeps the text.
document.body.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt.closest && event.detail.elt.closest("form.add-turn");
  if (form && event.detail.successful) form.querySelector("textarea").value = "";
});

// Upload progress: a form with data-progress="#id" fills that <progress> while its file goes
// up, then leaves it indeterminate while the server checks the file.
document.body.addEventListener("htmx:beforeRequest", (event) => {
  const form = event.detail.elt.closest && event.detail.elt.closest("form[data-progress]");
  const bar = form && document.querySelector(form.dataset.progress);
  if (!bar) return;
  delete form.dataset.uploaded;
  bar.value = 0;
  bar.hidden = false;
});
document.body.addEventListener("htmx:xhr:progress", (event) => {
  const form = event.target.closest && event.target.closest("form[data-progress]");
  const bar = form && document.querySelector(form.dataset.progress);
  if (!bar || form.dataset.uploaded || !event.detail.lengthComputable) return;
  if (event.detail.loaded >= event.detail.total) {
    form.dataset.uploaded = "true"; // later progress events are the answer coming down
    bar.removeAttribute("value");
  } else {
    bar.value = Math.round((100 * event.detail.loaded) / event.detail.total);
  }
});
document.body.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt.closest && event.detail.elt.closest("form[data-progress]");
  const bar = form && document.querySelector(form.dataset.progress);
  if (bar) bar.hidden = true;
});
