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
