// courriel webmail — the compose form (area: compose). Our own script; the form works
// without it. It adds: files dropped on the form, the size limit checked before sending,
// address suggestions from past correspondents, and a draft saved every 30 seconds when
// something changed. Everything it writes into the page is text (textContent), never HTML.
"use strict";

(function () {
  const form = document.getElementById("compose-form");
  if (!form) {
    return;
  }
  const AUTOSAVE_MS = 30000;
  const maxSize = Number(form.dataset.maxSize || 0);
  const fileInput = form.querySelector("input[type=file]");
  const chosen = form.querySelector("ul.chosen");
  const overLimit = form.querySelector(".over-limit");
  const status = document.querySelector(".autosave-status");
  let picked = []; // File objects chosen or dropped, in order
  let dirty = false;
  let saving = false;

  // -- attachments: the file input holds `picked` (a DataTransfer keeps them together) --

  function syncInput() {
    const transfer = new DataTransfer();
    picked.forEach(function (file) {
      transfer.items.add(file);
    });
    fileInput.files = transfer.files;
    renderPicked();
    checkSize();
  }

  function renderPicked() {
    chosen.replaceChildren();
    picked.forEach(function (file, index) {
      const item = document.createElement("li");
      item.textContent = file.name + " (" + Math.ceil(file.size / 1024) + " KB) ";
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.textContent = chosen.dataset.remove;
      remove.addEventListener("click", function () {
        picked.splice(index, 1);
        dirty = true;
        syncInput();
      });
      item.appendChild(remove);
      chosen.appendChild(item);
    });
  }

  // base64 makes 3 bytes 4: the message's size, near enough (the server checks exactly).
  function checkSize() {
    let total = 0;
    picked.forEach(function (file) {
      total += Math.ceil((file.size * 4) / 3);
    });
    const tooLarge = maxSize > 0 && total > maxSize;
    overLimit.hidden = !tooLarge;
    return !tooLarge;
  }

  function addFiles(list) {
    Array.prototype.forEach.call(list, function (file) {
      picked.push(file);
    });
    dirty = true;
    syncInput();
  }

  fileInput.addEventListener("change", function () {
    picked = [];
    addFiles(fileInput.files);
  });

  const zone = form.querySelector("[data-drop]");
  ["dragenter", "dragover"].forEach(function (name) {
    form.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    form.addEventListener(name, function () {
      zone.classList.remove("dragging");
    });
  });
  form.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      addFiles(event.dataTransfer.files);
    }
  });

  // A save under way first: its answer names the new draft, which the submit must carry
  // (or the old draft would be removed and the new one left behind).
  let submitWaiting = false;
  let waitingSubmitter = null;
  form.addEventListener("submit", function (event) {
    if (!checkSize()) {
      event.preventDefault();
      return;
    }
    if (saving) {
      event.preventDefault();
      submitWaiting = true;
      waitingSubmitter = event.submitter || null;
      return;
    }
    dirty = false; // the page is leaving: no autosave after this
    window.clearInterval(timer);
  });

  // -- address suggestions ------------------------------------------------------------

  let known = null;

  function loadKnown() {
    if (known !== null) {
      return Promise.resolve(known);
    }
    known = [];
    return fetch("/compose/addresses", { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : [];
      })
      .then(function (list) {
        known = Array.isArray(list) ? list : [];
        return known;
      })
      .catch(function () {
        return known;
      });
  }

  function lastPiece(value) {
    const cut = Math.max(value.lastIndexOf(","), value.lastIndexOf(";"));
    return { head: value.slice(0, cut + 1), word: value.slice(cut + 1).trim() };
  }

  form.querySelectorAll("input[data-suggest]").forEach(function (input) {
    const list = input.parentNode.querySelector(".suggestions");

    function choose(text) {
      const piece = lastPiece(input.value);
      input.value = (piece.head ? piece.head + " " : "") + text + ", ";
      list.hidden = true;
      dirty = true;
      input.focus();
    }

    input.addEventListener("input", function () {
      dirty = true;
      const word = lastPiece(input.value).word.toLowerCase();
      if (word.length < 1) {
        list.hidden = true;
        return;
      }
      loadKnown().then(function (all) {
        const matches = all
          .filter(function (text) {
            return text.toLowerCase().indexOf(word) !== -1;
          })
          .slice(0, 8);
        list.replaceChildren();
        matches.forEach(function (text) {
          const item = document.createElement("li");
          item.setAttribute("role", "option");
          item.tabIndex = -1;
          item.textContent = text;
          item.addEventListener("mousedown", function (event) {
            event.preventDefault(); // keep the focus in the field
            choose(text);
          });
          item.addEventListener("keydown", function (event) {
            if (event.key === "Enter") {
              event.preventDefault();
              choose(text);
            }
          });
          list.appendChild(item);
        });
        list.hidden = matches.length === 0;
      });
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && !list.hidden && list.firstChild) {
        event.preventDefault();
        list.firstChild.focus();
      } else if (event.key === "Escape") {
        list.hidden = true;
      }
    });
    input.addEventListener("blur", function () {
      window.setTimeout(function () {
        if (!list.contains(document.activeElement)) {
          list.hidden = true;
        }
      }, 150);
    });
  });

  // -- drafts saved automatically -----------------------------------------------------

  form.addEventListener("input", function () {
    dirty = true;
  });
  form.addEventListener("change", function () {
    dirty = true;
  });

  // After a save, the draft holds the files: the form names them as kept parts of it.
  function showSaved(answer) {
    form.elements.draft.value = answer.draft;
    form.elements.source.value = answer.source;
    const kept = form.querySelector("ul.kept");
    kept.replaceChildren();
    answer.attachments.forEach(function (part) {
      const item = document.createElement("li");
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = "keep";
      box.value = part.section;
      box.checked = true;
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + part.filename));
      item.appendChild(label);
      kept.appendChild(item);
    });
    picked = picked.filter(function (file) {
      return answer.sentFiles.indexOf(file) === -1;
    });
    syncInput();
    if (status) {
      const time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      status.textContent = status.dataset.template.replace("{time}", time);
      status.hidden = false;
    }
  }

  function autosave() {
    if (!dirty || saving || !checkSize()) {
      return;
    }
    saving = true;
    dirty = false;
    const data = new FormData(form);
    data.set("action", "autosave");
    const sentFiles = picked.slice();
    fetch("/compose", { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : Promise.reject(response.status);
      })
      .then(function (answer) {
        answer.sentFiles = sentFiles;
        showSaved(answer);
      })
      .catch(function () {
        dirty = true; // try again next time
      })
      .finally(function () {
        saving = false;
        if (submitWaiting) {
          submitWaiting = false;
          form.requestSubmit(waitingSubmitter);
        }
      });
  }

  const timer = window.setInterval(autosave, AUTOSAVE_MS);
})();
