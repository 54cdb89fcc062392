// courriel webmail — our own small script: live updates of open pages (server-sent events).
// Pages work without it; it tells the user that new mail arrived and keeps the folders'
// unread counts current.
"use strict";

// A message's HTML is shown in a sandboxed frame of another origin: the page cannot style
// the frame by :focus while the keyboard is inside it, so the frame gets a class instead
// (app.css draws the focus ring), and loses it when the focus comes back.
(function () {
  function markFocusedFrame() {
    document.querySelectorAll("iframe").forEach(function (frame) {
      frame.classList.toggle("has-focus", document.activeElement === frame);
    });
  }
  window.addEventListener("blur", function () {
    markFocusedFrame();
    window.setTimeout(markFocusedFrame, 0);
  });
  window.addEventListener("focus", markFocusedFrame);
  document.addEventListener("focusin", markFocusedFrame);
})();

(function () {
  const body = document.body;
  const live = body.dataset.live;
  if (!live || !window.EventSource) {
    return;
  }
  const current = Number(body.dataset.mailbox);
  const source = new EventSource("/events");
  let refreshing = null;

  // The unread counts of the folder list, fetched again after changes (at most once a
  // second); numbers only, written as text.
  function refreshCounts() {
    if (refreshing) {
      return;
    }
    refreshing = window.setTimeout(function () {
      refreshing = null;
      fetch("/mail/counts", { credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : {};
        })
        .then(function (counts) {
          document.querySelectorAll(".folders .count").forEach(function (badge) {
            const count = Number(counts[badge.dataset.mailbox] || 0);
            badge.textContent = String(count);
            badge.hidden = count === 0;
          });
        })
        .catch(function () {});
    }, 1000);
  }

  source.addEventListener("mailbox", function (event) {
    let change;
    try {
      change = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    refreshCounts();
    if (live === "list" && change.mailbox === current && change.kind === "added") {
      const notice = document.querySelector(".live-notice");
      if (notice) {
        notice.hidden = false;
      }
    }
  });
  source.addEventListener("resync", function () {
    source.close();
  });
  window.addEventListener("pagehide", function () {
    source.close();
  });
})();
