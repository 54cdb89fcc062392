// courriel webmail — the compose form (area: compose). Our own script; the form works
// without it. It adds: files dropped on the form, the size limit checked before sending,
// address suggestions from past correspondents, a draft saved every 30 seconds when
// something changed, and the rich-text editor (a contenteditable element with our own small
// toolbar; the server cleans what it sends). Everything it writes into the page is text
// (textContent) or elements it creates, never an HTML string.
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
    syncEditor();
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

  // -- rich text ----------------------------------------------------------------------
  // The textarea is the plain mode (and the form without this script). The rich mode shows
  // the editor instead; its HTML goes in `body_html` with format=html, and the server
  // derives the plain text from it. The last mode chosen is remembered for new messages;
  // a draft or a refused form opens in its own mode.

  const MODE_KEY = "courriel.compose.format";
  const textarea = form.elements.body;
  const editor = document.getElementById("compose-editor");
  const htmlField = form.elements.body_html;
  const formatField = form.elements.format;
  const bar = form.querySelector(".editor-bar");
  const toggle = form.querySelector(".format-toggle");
  const tools = bar.querySelectorAll("button[data-command]");
  let rich = false;
  let savedRange = null;

  function syncEditor() {
    formatField.value = rich ? "html" : "plain";
    htmlField.value = rich ? editor.innerHTML : "";
  }

  // The editor's content as plain lines, as the server writes its text/plain part
  // (web/rich_text.py, html_to_plain): blocks end lines, list items get "- " or "1. ",
  // quotes "> ", links their address.
  function editorText(root) {
    const lines = [];
    let current = "";
    let depth = 0;
    function endLine(always) {
      const text = current.trim();
      if (text || always) {
        lines.push(("> ".repeat(depth) + text).replace(/\s+$/, ""));
      }
      current = "";
    }
    function walk(node, listNumber) {
      node.childNodes.forEach(function (child) {
        if (child.nodeType === Node.TEXT_NODE) {
          let text = child.data.replace(/\s+/g, " ");
          if (!current.trim()) {
            text = text.replace(/^\s+/, "");
          }
          current += text;
          return;
        }
        if (child.nodeType !== Node.ELEMENT_NODE) {
          return;
        }
        const tag = child.tagName.toLowerCase();
        if (tag === "br") {
          endLine(true);
        } else if (tag === "blockquote") {
          endLine(false);
          depth += 1;
          walk(child, null);
          endLine(false);
          depth -= 1;
        } else if (tag === "ul" || tag === "ol") {
          endLine(false);
          walk(child, tag === "ol" ? { next: 1 } : null);
          endLine(false);
        } else if (tag === "li") {
          endLine(false);
          current = listNumber ? listNumber.next++ + ". " : "- ";
          walk(child, null);
          endLine(false);
        } else if (tag === "p" || tag === "div") {
          endLine(false);
          walk(child, null);
          endLine(false);
        } else if (tag === "a") {
          const start = current.length;
          walk(child, null);
          const href = child.getAttribute("href") || "";
          const shown = href.replace(/^mailto:/, "");
          if (href && shown !== current.slice(start).trim()) {
            current += " <" + href + ">";
          }
        } else {
          walk(child, listNumber);
        }
      });
    }
    walk(root, null);
    endLine(false);
    while (lines.length && !lines[lines.length - 1].replace(/[> ]/g, "")) {
      lines.pop();
    }
    return lines.length ? lines.join("\n") + "\n" : "";
  }

  // Plain text as editor content (web/rich_text.py, text_to_html): a div per line, lines
  // quoted with ">" in blockquotes.
  function textNodes(lines) {
    const out = [];
    let index = 0;
    while (index < lines.length) {
      if (lines[index].charAt(0) === ">") {
        const quoted = [];
        while (index < lines.length && lines[index].charAt(0) === ">") {
          quoted.push(lines[index].replace(/^> ?/, ""));
          index += 1;
        }
        const block = document.createElement("blockquote");
        textNodes(quoted).forEach(function (node) {
          block.appendChild(node);
        });
        out.push(block);
        continue;
      }
      const line = document.createElement("div");
      const text = lines[index].replace(/\s+$/, "");
      line.appendChild(text ? document.createTextNode(text) : document.createElement("br"));
      out.push(line);
      index += 1;
    }
    return out;
  }

  function fillEditor(text) {
    const lines = text.split(/\r\n|\r|\n/);
    while (lines.length && !lines[lines.length - 1].trim()) {
      lines.pop();
    }
    editor.replaceChildren.apply(editor, textNodes(lines));
  }

  function setMode(toRich, convert) {
    if (toRich && convert) {
      fillEditor(textarea.value);
    } else if (!toRich && rich) {
      textarea.value = editorText(editor);
    }
    rich = toRich;
    editor.hidden = !rich;
    bar.hidden = !rich;
    textarea.hidden = rich;
    toggle.setAttribute("aria-pressed", String(rich));
    syncEditor();
  }

  function inEditor(node) {
    return node && editor.contains(node.nodeType === Node.ELEMENT_NODE ? node : node.parentNode);
  }

  function closestInEditor(tag) {
    const selection = window.getSelection();
    let node = selection && selection.anchorNode;
    while (node && node !== editor) {
      if (node.nodeType === Node.ELEMENT_NODE && node.tagName.toLowerCase() === tag) {
        return node;
      }
      node = node.parentNode;
    }
    return null;
  }

  function refreshTools() {
    tools.forEach(function (button) {
      const command = button.dataset.command;
      if (!button.hasAttribute("aria-pressed")) {
        return;
      }
      let pressed = false;
      if (command === "quote") {
        pressed = closestInEditor("blockquote") !== null;
      } else {
        pressed = document.queryCommandState(command);
      }
      button.setAttribute("aria-pressed", String(pressed));
    });
  }

  function runCommand(command, prompt) {
    editor.focus();
    if (savedRange) {
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(savedRange);
    }
    document.execCommand("styleWithCSS", false, false); // <b>, not style attributes
    if (command === "link") {
      const address = (window.prompt(prompt, "https://") || "").trim();
      if (/^(https?:\/\/[^\s]+|mailto:[^\s]+)$/i.test(address)) {
        document.execCommand("createLink", false, address);
      }
    } else if (command === "quote") {
      document.execCommand("formatBlock", false, closestInEditor("blockquote") ? "div" : "blockquote");
    } else {
      document.execCommand(command, false, null);
    }
    dirty = true;
    refreshTools();
  }

  tools.forEach(function (button) {
    button.addEventListener("mousedown", function (event) {
      event.preventDefault(); // the editor keeps its selection and focus
    });
    button.addEventListener("click", function () {
      runCommand(button.dataset.command, button.dataset.prompt);
    });
  });
  document.addEventListener("selectionchange", function () {
    const selection = window.getSelection();
    if (rich && selection && selection.rangeCount && inEditor(selection.anchorNode)) {
      savedRange = selection.getRangeAt(0).cloneRange();
      refreshTools();
    }
  });
  // Pasted HTML would bring other people's markup: text only (the server cleans anyway).
  editor.addEventListener("paste", function (event) {
    const text = event.clipboardData ? event.clipboardData.getData("text/plain") : "";
    event.preventDefault();
    document.execCommand("insertText", false, text);
  });
  toggle.addEventListener("click", function () {
    setMode(!rich, true);
    dirty = true;
    try {
      window.localStorage.setItem(MODE_KEY, rich ? "html" : "plain");
    } catch (error) {
      // storage refused (private mode): the choice lasts this page only
    }
    (rich ? editor : textarea).focus();
  });

  let startMode = formatField.dataset.start;
  if (!startMode) {
    try {
      startMode = window.localStorage.getItem(MODE_KEY) || "plain";
    } catch (error) {
      startMode = "plain";
    }
  }
  toggle.hidden = false;
  setMode(startMode === "html", false); // the server's starting HTML (a reply's blockquote)

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
    syncEditor();
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
