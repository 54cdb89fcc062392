// courriel webmail — acting on mail (area: actions): "select all", drag and drop of
// messages onto the folder list, and keyboard shortcuts. Our own code, no library.
// Everything here only helps: the forms of message_list.html and message_actions.html
// work without it (each action is a POST with the CSRF token, answered by action_views.py).
//
// Shortcuts: j / k next / previous message in the list (on a message page: the older /
// newer message), Enter or o opens it, x selects it,
// # delete, ! spam (or "not spam" in Junk), u mark unread, r the element marked
// data-key="r" (the reply link when there is one). Any button or link carrying
// data-key="<key>" is triggered by that key.
"use strict";

(function () {
  if (window.courrielActions) {
    return; // the script is included by more than one part of a page
  }
  window.courrielActions = true;

  const listForm = document.getElementById("list-actions");
  const rows = listForm ? Array.from(listForm.querySelectorAll(".messages li")) : [];
  let focused = -1;

  function checkboxOf(row) {
    return row.querySelector("input[name=uid]");
  }

  // "Select all" ---------------------------------------------------------------------
  const all = listForm && listForm.querySelector("[data-select-all]");
  if (all) {
    all.addEventListener("change", function () {
      rows.forEach(function (row) {
        checkboxOf(row).checked = all.checked;
      });
    });
  }

  // Drag and drop onto the folder list -------------------------------------------------
  function csrfToken() {
    const field = document.querySelector("form input[name=csrf]");
    return field ? field.value : "";
  }

  function folderIdOf(link) {
    const found = /^\/mail\/(\d+)\/$/.exec(link.getAttribute("href") || "");
    return found ? found[1] : null;
  }

  function moveTo(target, uids) {
    const body = new URLSearchParams();
    body.append("csrf", csrfToken());
    body.append("action", "move");
    body.append("target", target);
    uids.forEach(function (uid) {
      body.append("uid", uid);
    });
    return fetch(listForm.getAttribute("action"), {
      method: "POST",
      credentials: "same-origin",
      body: body,
    }).then(function (response) {
      if (response.ok) {
        window.location.reload();
      } else {
        // Show the server's page saying what went wrong.
        return response.text().then(function (text) {
          document.open();
          document.write(text);
          document.close();
        });
      }
    });
  }

  if (listForm) {
    const current = listForm.dataset.mailbox;
    rows.forEach(function (row) {
      row.addEventListener("dragstart", function (event) {
        const box = checkboxOf(row);
        let uids = rows
          .filter(function (other) {
            return checkboxOf(other).checked;
          })
          .map(function (other) {
            return other.dataset.uid;
          });
        if (!box.checked) {
          uids = [row.dataset.uid]; // dragging an unselected row moves that row only
        }
        event.dataTransfer.setData("application/x-courriel-uids", uids.join(","));
        event.dataTransfer.effectAllowed = "move";
      });
    });
    document.querySelectorAll(".folders li a").forEach(function (link) {
      const target = folderIdOf(link);
      if (!target || target === current) {
        return;
      }
      link.addEventListener("dragover", function (event) {
        if (event.dataTransfer.types.indexOf("application/x-courriel-uids") >= 0) {
          event.preventDefault();
          link.classList.add("drop-target");
        }
      });
      link.addEventListener("dragleave", function () {
        link.classList.remove("drop-target");
      });
      link.addEventListener("drop", function (event) {
        event.preventDefault();
        link.classList.remove("drop-target");
        const text = event.dataTransfer.getData("application/x-courriel-uids");
        const uids = text.split(",").filter(function (uid) {
          return /^\d+$/.test(uid);
        });
        if (uids.length) {
          moveTo(target, uids);
        }
      });
    });
  }

  // Keyboard shortcuts -------------------------------------------------------------------
  function focusRow(index) {
    if (!rows.length) {
      return;
    }
    focused = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, position) {
      row.classList.toggle("focused", position === focused);
    });
    rows[focused].scrollIntoView({ block: "nearest" });
  }

  function actOn(key) {
    let trigger = document.querySelector('[data-key="' + key + '"]');
    if (!trigger && key === "u") {
      trigger = document.querySelector('form[action$="/unread"] button'); // the message page
    }
    if (!trigger) {
      return false;
    }
    if (listForm && listForm.contains(trigger)) {
      const anyChecked = rows.some(function (row) {
        return checkboxOf(row).checked;
      });
      if (!anyChecked) {
        if (focused < 0) {
          return false;
        }
        checkboxOf(rows[focused]).checked = true; // act on the focused message
      }
    }
    trigger.click();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    const target = event.target;
    if (target && target.closest && target.closest("input, textarea, select, [contenteditable]")) {
      return;
    }
    let handled = true;
    switch (event.key) {
      case "j":
      case "k":
        if (rows.length) {
          focusRow(focused + (event.key === "j" ? 1 : -1));
        } else {
          handled = actOn(event.key); // the message page: the older / newer message
        }
        break;
      case "o":
      case "Enter":
        if (focused >= 0 && (event.key === "o" || target === document.body)) {
          rows[focused].querySelector("a").click();
        } else {
          handled = false;
        }
        break;
      case "x":
        if (focused >= 0) {
          const box = checkboxOf(rows[focused]);
          box.checked = !box.checked;
        }
        break;
      case "#":
      case "!":
      case "u":
      case "r":
        handled = actOn(event.key);
        break;
      default:
        handled = false;
    }
    if (handled) {
      event.preventDefault();
    }
  });
})();
