// courriel webmail — settings and admin pages: copy buttons (DNS records, the TOTP key,
// a new app password). Our own code; pages work without it (the values are plain text).
"use strict";

(function () {
  function copied(button) {
    const label = button.textContent;
    button.textContent = "✓";
    window.setTimeout(function () {
      button.textContent = label;
    }, 1500);
  }

  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      const source = document.getElementById(button.dataset.copy);
      if (!source) {
        return;
      }
      const text = source.textContent.trim();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () {
          copied(button);
        });
        return;
      }
      // Older browsers: select the text so the user can copy it by hand.
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    });
  });
})();
