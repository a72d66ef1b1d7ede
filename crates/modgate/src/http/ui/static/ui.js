// modgate's web UI: copy buttons, and nothing else. Pages work without this file.
"use strict";

function copyText(text, fallbackNode) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text);
  }
  // Without the clipboard API (plain HTTP), select the text for the user to copy.
  const range = document.createRange();
  range.selectNodeContents(fallbackNode);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  try {
    document.execCommand("copy");
  } catch (e) {
    // The text stays selected.
  }
  return Promise.resolve();
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      const target = document.getElementById(button.dataset.copy);
      if (!target) {
        return;
      }
      copyText(target.textContent, target).then(function () {
        const label = button.textContent;
        button.textContent = "Copied";
        setTimeout(function () {
          button.textContent = label;
        }, 1500);
      });
    });
  });
});
